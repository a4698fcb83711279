# A 3-node Skiff cluster behind an internal load balancer. See README.md.

module "skiff" {
  source = "../../modules/skiff-cluster"

  cluster_name                       = var.cluster_name
  vpc_id                             = var.vpc_id
  subnet_ids                         = var.subnet_ids
  node_count                         = 3
  instance_type                      = var.instance_type
  architecture                       = var.architecture
  artifact_url                       = var.artifact_url
  cluster_secret_parameter_name      = var.cluster_secret_parameter_name
  allowed_cidr_blocks                = var.allowed_cidr_blocks
  certificate_arn                    = var.certificate_arn
  acl_bootstrap_token_parameter_name = var.acl_bootstrap_token_parameter_name
  tls_parameter_prefix               = var.tls_parameter_prefix
  gateway_endpoint_route_table_ids   = var.gateway_endpoint_route_table_ids
  enable_ssm_session_manager         = var.enable_ssm_session_manager

  tags = {
    environment = "example"
  }
}
