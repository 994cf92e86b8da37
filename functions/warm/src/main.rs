//! The `warm` Lambda function: tracing from the environment, state built once per container,
//! and every scheduled event handed to `kenny::edges::warm::handle`.

use kenny::edges::warm::{Warmer, handle};
use kenny::wiring::config::Config;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let warmer = Warmer::init(&Config::load()?).await?;
    run(service_fn(|event| handle(&warmer, event))).await
}
