# Continuous log archive and point-in-time restore (issue #15). Kept apart from variables.tf
# so that the archive's settings read together.

variable "log_archive" {
  description = "Ship committed log entries to the snapshot bucket under snapshot_prefix (--log-archive), for point-in-time restores with --restore-to-time / --restore-to-index."
  type        = bool
  default     = true
}

variable "log_archive_interval" {
  description = "How far the log archive may lag behind the commit index (--log-archive-interval): the RPO after losing every instance and disk."
  type        = string
  default     = "1s"

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m)$", var.log_archive_interval))
    error_message = "log_archive_interval must be a duration like 500ms, 1s or 1m."
  }
}

variable "archive_object_lock_days" {
  description = "Default S3 Object Lock retention, in days, for every object version in the snapshot bucket (archived log segments, manifest links, snapshots), so that history cannot be deleted, even by a compromised node, before it expires. 0 (default) turns Object Lock off. Object Lock can only be turned on when the bucket is created."
  type        = number
  default     = 0

  validation {
    condition     = var.archive_object_lock_days >= 0 && var.archive_object_lock_days == floor(var.archive_object_lock_days)
    error_message = "archive_object_lock_days must be a whole number of days, 0 to turn Object Lock off."
  }
}

variable "archive_object_lock_mode" {
  description = "Object Lock mode when archive_object_lock_days > 0: GOVERNANCE (users with s3:BypassGovernanceRetention can still delete) or COMPLIANCE (nobody can, not even the account root, until the retention ends)."
  type        = string
  default     = "GOVERNANCE"

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.archive_object_lock_mode)
    error_message = "archive_object_lock_mode must be GOVERNANCE or COMPLIANCE."
  }
}
