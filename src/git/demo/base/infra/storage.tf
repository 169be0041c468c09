# Receipts and provider reconciliation files for the payments service.
# Finance must keep these for seven years: never destroy this bucket.

resource "aws_s3_bucket" "receipts" {
  bucket = "acme-payments-receipts-prod"

  tags = {
    service = "payments"
    owner   = "payments-team"
    data    = "financial-records"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "receipts" {
  bucket = aws_s3_bucket.receipts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "receipts" {
  bucket                  = aws_s3_bucket.receipts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_sqs_queue" "payment_events" {
  name                       = "payments-events-prod"
  visibility_timeout_seconds = 30
  message_retention_seconds  = 345600
  receive_wait_time_seconds  = 10
}

resource "aws_sqs_queue" "payment_events_dlq" {
  name                      = "payments-events-dlq-prod"
  message_retention_seconds = 1209600
}
