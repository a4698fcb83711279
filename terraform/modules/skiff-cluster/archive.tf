# The log archive lives in the snapshot bucket, under the same prefix as the snapshots
# (archive/segments/ and archive/manifest/), so the node's S3 permissions already cover it.
# Versioning (storage.tf) keeps every overwritten or deleted object version recoverable;
# Object Lock, when asked for, makes those versions undeletable for a fixed time, so a
# compromised node (or operator mistake) cannot destroy the history a restore needs: deletes
# by the node's retention only add delete markers until the lock expires.

resource "aws_s3_bucket_object_lock_configuration" "archive" {
  count  = var.archive_object_lock_days > 0 ? 1 : 0
  bucket = aws_s3_bucket.snapshots.id

  rule {
    default_retention {
      mode = var.archive_object_lock_mode
      days = var.archive_object_lock_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.snapshots]
}
