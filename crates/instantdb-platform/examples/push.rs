//! Push: a schema push with its progress printed as the background jobs run (the README's
//! `schemaPush`). A failed background job (say, `unique` over duplicate values) is printed
//! with its error and samples.
//!
//! `cargo run -p instantdb-platform --example push`

mod common;

use futures_util::StreamExt;
use instantdb_schema::i;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (api, _emulator) = common::connect().await?;
    let app_id = common::app_id(&api).await?;

    let schema = i::schema().entities([(
        "todos",
        i::entity([
            ("title", i::string().indexed()),
            ("done", i::boolean().optional()),
            ("completedAt", i::date().optional()),
        ]),
    )]);
    let mut push = api.schema_push(&app_id, &schema).send();
    while let Some(status) = push.next().await {
        println!("{}", status.friendly_description);
        for step in status.in_progress_steps() {
            if let Some(job) = &step.background_job {
                println!(
                    "  {} ({} of {:?})",
                    step.friendly_description,
                    job.work_completed.unwrap_or(0),
                    job.work_estimate
                );
            }
        }
    }
    let result = push.await?;
    println!("{}", result.summary.friendly_description);
    for step in result.steps() {
        println!("  {}", step.friendly_description);
    }
    for step in result.errored_steps() {
        if let Some(job) = &step.background_job {
            println!(
                "failed: {} {:?} value {:?} sample {:?}",
                step.friendly_description,
                job.error,
                job.invalid_unique_value,
                job.invalid_triples_sample
            );
        }
    }
    Ok(())
}
