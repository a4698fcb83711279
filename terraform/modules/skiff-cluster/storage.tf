# Durable state outside the instances: snapshots in S3, stable metadata (term, vote) and the
# discovery table in DynamoDB. Losing every instance loses nothing that these keep.

resource "aws_s3_bucket" "snapshots" {
  bucket        = local.snapshot_bucket_name
  force_destroy = var.force_destroy
  # Object Lock (archive.tf) can only be enabled when the bucket is created.
  object_lock_enabled = var.archive_object_lock_days > 0
  tags                = local.tags
}

resource "aws_s3_bucket_ownership_controls" "snapshots" {
  bucket = aws_s3_bucket.snapshots.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "snapshots" {
  bucket                  = aws_s3_bucket.snapshots.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Versioning keeps an overwritten or deleted snapshot recoverable for
# snapshot_noncurrent_days: a bad retention run or a buggy node cannot destroy the last copy.
resource "aws_s3_bucket_versioning" "snapshots" {
  bucket = aws_s3_bucket.snapshots.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "snapshots" {
  bucket = aws_s3_bucket.snapshots.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.snapshot_kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.snapshot_kms_key_arn
    }
    bucket_key_enabled = var.snapshot_kms_key_arn != null
  }
}

# Current snapshots are never expired by age: the node keeps the N newest itself, and an
# idle cluster's only snapshot may be old. Only superseded versions, delete markers and
# abandoned multipart uploads (a node that died mid-upload) are cleaned up here.
resource "aws_s3_bucket_lifecycle_configuration" "snapshots" {
  bucket = aws_s3_bucket.snapshots.id

  rule {
    id     = "expire-old-snapshot-versions"
    status = "Enabled"

    filter {
      prefix = "${var.snapshot_prefix}/"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.snapshot_noncurrent_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.snapshots]
}

data "aws_iam_policy_document" "snapshots_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.snapshots.arn, "${aws_s3_bucket.snapshots.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "snapshots" {
  bucket = aws_s3_bucket.snapshots.id
  policy = data.aws_iam_policy_document.snapshots_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.snapshots]
}

# Term and vote per (cluster, node id), written with conditional puts.
resource "aws_dynamodb_table" "stable" {
  name                        = local.stable_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.table_hash_key
  range_key                   = local.table_range_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = local.table_hash_key
    type = "S"
  }

  attribute {
    name = local.table_range_key
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = local.tags
}

# Registrations (id, raft and api address, heartbeat) and the bootstrap lock. Entries of
# nodes that stopped heartbeating expire through the TTL attribute.
resource "aws_dynamodb_table" "discovery" {
  name                        = local.discovery_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.table_hash_key
  range_key                   = local.table_range_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = local.table_hash_key
    type = "S"
  }

  attribute {
    name = local.table_range_key
    type = "S"
  }

  ttl {
    attribute_name = local.discovery_ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = local.tags
}
