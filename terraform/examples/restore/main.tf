# A NEW Skiff cluster whose initial state is a snapshot of another (for example a lost)
# cluster: every node starts with --restore-from; the one that wins the bootstrap lock
# restores the snapshot and the others join it. See README.md.

module "skiff" {
  source = "../../modules/skiff-cluster"

  cluster_name                  = var.cluster_name
  vpc_id                        = var.vpc_id
  subnet_ids                    = var.subnet_ids
  node_count                    = var.node_count
  instance_type                 = var.instance_type
  architecture                  = var.architecture
  artifact_url                  = var.artifact_url
  cluster_secret_parameter_name = var.cluster_secret_parameter_name
  allowed_cidr_blocks           = var.allowed_cidr_blocks
  restore_from                  = var.restore_from

  tags = {
    environment = "example"
    restored    = "true"
  }
}
