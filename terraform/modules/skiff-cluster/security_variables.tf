# Inputs of security.tf: ACL bootstrap token and node TLS material from SSM Parameter Store,
# the HTTP-to-HTTPS redirect, and the AWS endpoints the nodes' narrowed egress reaches.

variable "acl_bootstrap_token_parameter_name" {
  description = "Name of the SSM Parameter Store SecureString holding the ACL management token (16..256 printable ASCII characters, e.g. from uuidgen). When set, every node starts with --acl-bootstrap-token-file and the API needs a token (API.md §7). Create it before applying; the module never reads its value. Null: ACLs off."
  type        = string
  default     = null

  validation {
    condition     = var.acl_bootstrap_token_parameter_name == null || can(regex("^/?[a-zA-Z0-9_.\\-/]+$", var.acl_bootstrap_token_parameter_name))
    error_message = "acl_bootstrap_token_parameter_name must be an SSM parameter name such as /skiff/prod/acl-bootstrap-token."
  }
}

variable "tls_parameter_prefix" {
  description = "SSM Parameter Store path holding the nodes' TLS material as SecureStrings PREFIX/cert (PEM certificate chain), PREFIX/key (PEM private key) and PREFIX/ca (PEM CA bundle). When set, nodes start with --tls-cert-file/--tls-key-file/--tls-ca-file (mutual TLS between nodes, HTTPS on the API) and the load balancer talks HTTPS to them. The certificate must name every address the nodes dial each other at. Null: plain HTTP to the nodes."
  type        = string
  default     = null

  validation {
    condition     = var.tls_parameter_prefix == null || can(regex("^/?[a-zA-Z0-9_.\\-/]+[a-zA-Z0-9_.\\-]$", var.tls_parameter_prefix))
    error_message = "tls_parameter_prefix must be an SSM parameter path such as /skiff/prod/tls (no trailing slash)."
  }
}

variable "redirect_http_to_https" {
  description = "With certificate_arn set, the HTTP listener answers 301 to the HTTPS listener instead of serving the API in clear text."
  type        = bool
  default     = true
}

variable "create_interface_endpoints" {
  description = "Create VPC interface endpoints (private DNS) in subnet_ids for the AWS APIs the nodes call besides S3 and DynamoDB: ssm (secrets) and autoscaling (lifecycle hook). The nodes' HTTPS egress is limited to the VPC CIDR and the S3/DynamoDB prefix lists, so without these endpoints (or ones the VPC already has) those calls fail. Set false when the VPC already has them."
  type        = bool
  default     = true
}

variable "gateway_endpoint_route_table_ids" {
  description = "Route tables of subnet_ids to attach S3 and DynamoDB gateway endpoints to (free; traffic stays on the AWS network). Empty: create none (the VPC has them, or reaches S3/DynamoDB through NAT; egress is limited to their prefix lists either way)."
  type        = list(string)
  default     = []
}
