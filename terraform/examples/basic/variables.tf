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
  description = "Name of the cluster."
  type        = string
  default     = "demo"
}

variable "certificate_arn" {
  description = "Optional ACM certificate for an HTTPS listener."
  type        = string
  default     = null
}

variable "enable_ssm_session_manager" {
  description = "Allow shells and commands through SSM Session Manager."
  type        = bool
  default     = true
}

variable "acl_bootstrap_token_parameter_name" {
  description = "SSM SecureString with the ACL management token (e.g. /skiff/demo/acl-bootstrap-token); null: ACLs off."
  type        = string
  default     = null
}

variable "tls_parameter_prefix" {
  description = "SSM path with the nodes' TLS material as SecureStrings PREFIX/cert, PREFIX/key, PREFIX/ca; null: plain HTTP to the nodes."
  type        = string
  default     = null
}

variable "gateway_endpoint_route_table_ids" {
  description = "Route tables of the subnets to attach S3 and DynamoDB gateway endpoints to; empty if the VPC has them (or a NAT)."
  type        = list(string)
  default     = []
}
