//! The `warm` Lambda function: tracing from the environment, state built once per container,
//! and every scheduled event handed to `kenny::edges::warm::handle`.

use kenny::edges::warm::{Warmer, handle};
use kenny::wiring::config::Config;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    kenny::edges::lambda::init_tracing();
    let warmer = Warmer::init(&Config::load()?).await?;
    run(service_fn(|event| handle(&warmer, event))).await
}
