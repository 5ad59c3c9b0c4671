//! E-mail through a real SMTP server (aiosmtpd, from PyPI via `scripts/smtp-test-server.sh`) that requires
//! STARTTLS and AUTH. Its certificate is signed by a CA made for the test, which the client trusts through
//! SMTP_CA_FILE: verification stays on, as in production.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use digests::{EmailSender, SmtpConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::{busy_day, enable, quiet_day, utc, Db, FixedSource};

const USER: &str = "reports";
const PASSWORD: &str = "s3cret-pw";

/// A CA and a `localhost` certificate it signed, written as PEM files.
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "digests test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let key = rcgen::KeyPair::generate().expect("server key");
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("server params");
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .expect("server certificate");
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca.pem()).expect("write");
    std::fs::write(&paths.1, cert.pem()).expect("write");
    std::fs::write(&paths.2, key.serialize_pem()).expect("write");
    paths
}

struct SmtpServer {
    port: u16,
    maildir: PathBuf,
    _child: tokio::process::Child,
}

impl SmtpServer {
    async fn start(dir: &Path, cert: &Path, key: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let maildir = dir.join("mail");
        std::fs::create_dir_all(&maildir).expect("maildir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp-test-server.sh");
        let mut child = tokio::process::Command::new("bash")
            .arg(&script)
            .args([
                "--port",
                &port.to_string(),
                "--user",
                USER,
                "--password",
                PASSWORD,
            ])
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg("--maildir")
            .arg(&maildir)
            // Kept open: the server stops when this test process (and so the pipe) goes away.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("bash runs scripts/smtp-test-server.sh");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        // The first run creates the venv and installs aiosmtpd from PyPI.
        let ready = tokio::time::timeout(Duration::from_secs(300), lines.next_line()).await;
        if !matches!(&ready, Ok(Ok(Some(line))) if line.starts_with("READY")) {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = tokio::time::timeout(Duration::from_secs(5), e.read_to_string(&mut stderr))
                    .await;
            }
            panic!(
                "the SMTP test server did not start ({ready:?}); it needs python3 with venv and PyPI access \
                 (scripts/test.sh installs python3-venv on Debian):\n{stderr}"
            );
        }
        Self {
            port,
            maildir,
            _child: child,
        }
    }

    fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.maildir)
            .expect("maildir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
            })
            .collect()
    }
}

fn sender(port: u16, ca: &Path, password: &str) -> EmailSender {
    EmailSender::new(&SmtpConfig {
        host: "localhost".into(),
        port,
        username: Some(USER.into()),
        password: Some(infra::Secret::new(password)),
        from: "Support reports <reports@example.com>".into(),
        ca_file: Some(ca.to_owned()),
        timeout: Duration::from_secs(20),
    })
    .expect("SMTP config")
}

#[tokio::test]
async fn the_report_reaches_a_real_smtp_server_over_starttls_with_auth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ca, cert, key) = certificates(dir.path());
    let server = SmtpServer::start(dir.path(), &cert, &key).await;
    let db = Db::new().await;
    let day = digests::Period::containing(
        digests::Kind::Daily,
        chrono_tz::Europe::Berlin,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 3).expect("date"),
    );
    let source = FixedSource {
        by_start: Arc::new(
            [
                (day.start(), busy_day()),
                (day.previous().start(), quiet_day()),
            ]
            .into(),
        ),
        ..FixedSource::default()
    };

    // A wrong password: the server refuses AUTH (535, permanent), the delivery is given up and says why.
    let refused = db
        .replica(source.clone(), Some(sender(server.port, &ca, "wrong")))
        .await;
    enable(
        &refused,
        &["Lead <lead@example.com>", "ops@example.com"],
        None,
    )
    .await;
    let tick = refused
        .tick(utc("2026-03-04T08:00:00Z"))
        .await
        .expect("tick");
    assert_eq!((tick.generated.len(), tick.delivered.failed), (1, 1));
    assert_eq!(
        db.count("SELECT count(*) FROM digest_deliveries WHERE status = 'failed' AND last_error LIKE '%535%'")
            .await,
        1
    );
    assert!(server.messages().is_empty());

    // The right password, for the next day's report.
    let digests = db
        .replica(source, Some(sender(server.port, &ca, PASSWORD)))
        .await;
    let next = day.start() + chrono::Duration::days(1);
    let id = digests
        .generate(
            crate::TENANT,
            digests::Kind::Daily,
            day.start(),
            utc("2026-03-04T08:05:00Z"),
        )
        .await
        .expect("existing report");
    assert_eq!(
        db.count("SELECT count(*) FROM digests").await,
        1,
        "generate found the existing one: {id}"
    );
    let tick = digests
        .tick(utc("2026-03-05T07:00:00Z"))
        .await
        .expect("tick");
    assert_eq!(
        (tick.generated.len(), tick.delivered.sent),
        (1, 1),
        "report of {next}"
    );

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["tls"], true);
    assert_eq!(m["auth"], true);
    assert_eq!(m["mail_from"], "reports@example.com");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["lead@example.com", "ops@example.com"])
    );
    assert_eq!(m["subject"], "Daily report for acme: Wed 4 Mar 2026");
    assert!(
        m["to"]
            .as_str()
            .is_some_and(|to| to.contains("Lead <lead@example.com>")),
        "{m}"
    );
    // No figures were given for 4 March: the text says so, with the 3rd's figures as the previous day.
    let text = m["text"].as_str().expect("text/plain part");
    assert!(
        text.contains("| New conversations | 0 | 42 | -100% |"),
        "{text}"
    );
    let html = m["html"].as_str().expect("text/html part");
    assert!(html.contains("<td>New conversations</td>"), "{html}");
}
