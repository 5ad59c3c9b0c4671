//! A service never runs on with part of its work stopped: a failed task is restarted, and one that keeps failing
//! makes the service unready and stops it (for the orchestrator to restart it). Failures are injected for real:
//! a responder that panics, consumers and a stream deleted under a running worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use e2e::{customer_message, eventually, Env, Service, TENANT};
use futures::future::BoxFuture;
use worker::responder::{ReplyContext, Responder, ResponderError, TemplateResponder};

/// Answers with the template, but panics the first time it sees "boom".
struct PanicsOnce {
    panicked: AtomicBool,
    template: TemplateResponder,
}

impl Responder for PanicsOnce {
    fn respond<'a>(
        &'a self,
        ctx: &'a ReplyContext<'a>,
    ) -> BoxFuture<'a, Result<Vec<proto::ActionKind>, ResponderError>> {
        if ctx.content.contains("boom") && !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("injected responder failure");
        }
        self.template.respond(ctx)
    }
}

async fn ready(service: &Service) -> u16 {
    reqwest::get(format!("{}/readyz", service.url()))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn replies(env: &Env, conversation: u64) -> usize {
    env.sim
        .requests_matching("POST", &format!("/conversations/{conversation}/messages"))
        .iter()
        .filter(|r| r.status == Some(200))
        .count()
}

#[tokio::test]
async fn a_panic_while_processing_is_retried_and_the_worker_carries_on() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let responder = Arc::new(PanicsOnce {
        panicked: AtomicBool::new(false),
        template: TemplateResponder::new("Thanks, we are on it."),
    });
    let worker = env.start_worker_with(Some(responder), &[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    for (message, conversation, text) in [(61_001, 6101, "boom"), (61_002, 6102, "hello")] {
        let (status, _) = env
            .send(
                &ingress,
                TENANT,
                &customer_message(text, message, conversation, &[]),
                &format!("s{message}"),
            )
            .await;
        assert_eq!(status, 202);
    }
    assert!(
        eventually(Duration::from_secs(20), || async {
            replies(&env, 6101) == 1 && replies(&env, 6102) == 1
        })
        .await,
        "both conversations answered"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(replies(&env, 6101), 1, "the retried event is answered once");
    assert_eq!(ready(&worker).await, 200);
    // The batch that panicked may have held the other conversation's event too: both were retried.
    let metrics = worker.metrics().await;
    let retried: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("events_processed_total{outcome=\"retried\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default();
    assert!(retried >= 1.0, "{metrics}");
    dispatcher.stop().await.unwrap();
    worker.stop().await.unwrap();
    ingress.stop().await.unwrap();
    env.cleanup().await;
}

#[tokio::test]
async fn partition_consumers_deleted_under_a_running_worker_are_created_again() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let js = env.jetstream().await;
    let topology = env.topology();
    let stream = js
        .get_stream(topology.events_stream())
        .await
        .expect("events stream");
    for partition in 0..infra::topology::PARTITIONS {
        stream
            .delete_consumer(&topology.worker_consumer(partition))
            .await
            .expect("consumer deleted");
    }
    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &customer_message("Where is my order?", 62_001, 6201, &[]),
            "s62001",
        )
        .await;
    assert_eq!(status, 202);
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env, 6201) == 1
        })
        .await,
        "the loops restarted, created their consumers again and processed the event"
    );
    assert_eq!(ready(&worker).await, 200);
    dispatcher.stop().await.unwrap();
    worker.stop().await.unwrap();
    ingress.stop().await.unwrap();
    env.cleanup().await;
}

#[tokio::test]
async fn a_worker_whose_loops_keep_failing_turns_unready_and_stops() {
    let env = Env::new().await;
    let worker = env
        .start_worker(&["--task-restart-limit", "1", "--task-restart-window", "1m"])
        .await;
    let js = env.jetstream().await;
    js.delete_stream(env.topology().events_stream())
        .await
        .expect("events stream deleted");
    assert!(
        eventually(Duration::from_secs(30), || async {
            ready(&worker).await == 503 || worker.has_stopped()
        })
        .await,
        "the worker stops being ready"
    );
    assert!(
        eventually(Duration::from_secs(30), || async { worker.has_stopped() }).await,
        "the worker exits for the orchestrator to restart it"
    );
    let result = worker.stop().await;
    let error = result.expect_err("a failed task is the worker's error");
    assert!(error.contains("failed"), "{error}");
    env.cleanup().await;
}

#[tokio::test]
async fn a_dispatcher_whose_consumer_was_deleted_restarts_its_fetch_loop_and_delivers() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let js = env.jetstream().await;
    let topology = env.topology();
    js.get_stream(topology.actions_stream())
        .await
        .expect("actions stream")
        .delete_consumer(&topology.dispatcher_consumer())
        .await
        .expect("consumer deleted");
    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &customer_message("Where is my order?", 63_001, 6301, &[]),
            "s63001",
        )
        .await;
    assert_eq!(status, 202);
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env, 6301) == 1
        })
        .await,
        "the fetch loop restarted with its consumer created again and delivered the reply"
    );
    assert_eq!(ready(&dispatcher).await, 200);
    dispatcher.stop().await.unwrap();
    worker.stop().await.unwrap();
    ingress.stop().await.unwrap();
    env.cleanup().await;
}
