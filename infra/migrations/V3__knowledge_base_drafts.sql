-- The text-search configuration for an article's (or a message's) language. Declared IMMUTABLE so the generated
-- search column can use it; the mapping must therefore never change meaning for a stored language (add new
-- languages, never remap one), or the stored vectors and the queries would disagree.
CREATE FUNCTION kb_regconfig(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(language)
        WHEN 'en' THEN 'pg_catalog.english'::regconfig
        WHEN 'es' THEN 'pg_catalog.spanish'::regconfig
        WHEN 'de' THEN 'pg_catalog.german'::regconfig
        WHEN 'fr' THEN 'pg_catalog.french'::regconfig
        WHEN 'pt' THEN 'pg_catalog.portuguese'::regconfig
        WHEN 'it' THEN 'pg_catalog.italian'::regconfig
        WHEN 'nl' THEN 'pg_catalog.dutch'::regconfig
        ELSE 'pg_catalog.simple'::regconfig
    END
$$;

-- A tenant's knowledge base, imported with `cwctl kb import`; the external id comes from the source, so a
-- re-import updates articles in place.
CREATE TABLE kb_articles (
    tenant       text        NOT NULL,
    external_id  text        NOT NULL,
    title        text        NOT NULL,
    body         text        NOT NULL,
    -- ISO 639-1 code, lower case.
    language     text        NOT NULL,
    url          text,
    -- The title weighs more than the body, so an article about the question outranks one that mentions it.
    search       tsvector GENERATED ALWAYS AS (
                     setweight(to_tsvector(kb_regconfig(language), title), 'A') ||
                     setweight(to_tsvector(kb_regconfig(language), body), 'B')
                 ) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, external_id)
);
CREATE INDEX kb_articles_search ON kb_articles USING GIN (search);
CREATE INDEX kb_articles_language ON kb_articles (tenant, language);

-- AI answers: drafts waiting for an agent's /approve or /reject, the decision taken, and answers sent in auto
-- mode, with what they were based on (audit and `cwctl report`).
CREATE TABLE drafts (
    id                   bigserial   PRIMARY KEY,
    tenant               text        NOT NULL,
    conversation_id      bigint      NOT NULL,
    -- The customer message answered.
    source_message_id    bigint      NOT NULL,
    draft_text           text        NOT NULL,
    -- External ids of the knowledge-base articles the answer was based on.
    sources              text[]      NOT NULL DEFAULT '{}',
    -- knowledge_base | llm | template
    responder            text        NOT NULL,
    model                text,
    confidence           double precision,
    -- Why the configured responder was not the one that answered (e.g. the LLM timed out).
    fallback_reason      text,
    -- pending: waits for an agent; approved / rejected: decided; stale: the customer wrote again before a
    -- decision (still approvable by id); auto: sent without review (auto mode).
    status               text        NOT NULL
                         CHECK (status IN ('pending', 'approved', 'rejected', 'stale', 'auto')),
    final_text           text,
    reason               text,
    decided_by_id        bigint,
    decided_by_name      text,
    decided_at           timestamptz,
    -- The agent's private note that carried the decision.
    decision_message_id  bigint,
    grade_tone           smallint CHECK (grade_tone BETWEEN 1 AND 5),
    grade_accuracy       smallint CHECK (grade_accuracy BETWEEN 1 AND 5),
    grade_policy         smallint CHECK (grade_policy BETWEEN 1 AND 5),
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drafts_conversation ON drafts (tenant, conversation_id, id DESC);
CREATE INDEX drafts_report ON drafts (tenant, created_at);
