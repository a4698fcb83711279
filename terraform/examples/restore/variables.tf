variable "region" {
  description = "AWS region of the cluster."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets in (ideally) three availability zones."
  type        = list(string)
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
  default     = "m7g.large"
}

variable "architecture" {
  description = "arm64 (Graviton instance types) or x86_64."
  type        = string
  default     = "arm64"
}

variable "artifact_url" {
  description = "S3 URL of the Skiff distribution tarball."
  type        = string
}

variable "cluster_secret_parameter_name" {
  description = "SSM SecureString parameter holding the cluster secret."
  type        = string
}

variable "allowed_cidr_blocks" {
  description = "Client networks allowed to reach the load balancer and the API port."
  type        = list(string)
}

variable "cluster_name" {
  description = "Name of the NEW cluster; it must differ from the source cluster's."
  type        = string
  default     = "restored"
}

variable "node_count" {
  description = "3 or 5 nodes."
  type        = number
  default     = 3
}

variable "restore_from" {
  description = "Snapshot to restore: the source cluster's snapshots_url output (s3://bucket/prefix, newest snapshot) or s3://bucket/prefix/snapshot-id."
  type        = string
}
