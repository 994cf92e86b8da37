//! The `calendar-read` Lambda function: tracing from the environment, state built once per
//! container, and every event handed to `kenny::edges::lambda::handle`.

use kenny::edges::lambda::{FunctionState, handle};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    kenny::edges::lambda::init_tracing();
    let state = FunctionState::calendar_read_from_env().await?;
    run(service_fn(|event| handle(&state, event))).await
}
