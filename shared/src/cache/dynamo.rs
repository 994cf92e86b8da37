//! The shared cache (L2) in DynamoDB: `KENNY_CACHE=dynamodb://TABLE`. (Being written.)
