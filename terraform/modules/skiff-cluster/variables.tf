# Inputs of the skiff-cluster module. Every input has a description; the ones without a
# default are required. Names follow the node's flags where there is one (API.md §1).

variable "cluster_name" {
  description = "Name of the cluster: prefix of every AWS resource name, and the node's --cluster (key prefix in the DynamoDB tables)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.cluster_name))
    error_message = "cluster_name must be 3-20 characters of lowercase letters, digits and '-', starting with a letter (it becomes part of bucket, table and load balancer names, and load balancer names are limited to 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC in which the nodes, their security groups and the load balancer live."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets for the nodes (usually private), one per availability zone; the autoscaling group spreads the nodes over them."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least 2 subnets in different availability zones (3 for a 3-node cluster to survive the loss of a zone)."
  }
}

variable "lb_subnet_ids" {
  description = "Subnets for the load balancer (at least 2 availability zones). Defaults to subnet_ids; use public subnets with lb_internal = false."
  type        = list(string)
  default     = null
}

variable "lb_internal" {
  description = "Whether the load balancer is internal (reachable only inside the VPC and its peers). A key-value store rarely belongs on the internet."
  type        = bool
  default     = true
}

variable "node_count" {
  description = "Number of voting nodes: 3 (tolerates 1 failure) or 5 (tolerates 2)."
  type        = number
  default     = 3

  validation {
    condition     = contains([3, 5], var.node_count)
    error_message = "node_count must be 3 or 5: an even count adds no fault tolerance, and Raft quorums grow slower beyond 5."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the nodes. Must match architecture (e.g. m7g.large for arm64, m7i.large for x86_64)."
  type        = string
  default     = "m7g.large"
}

variable "architecture" {
  description = "CPU architecture of instance_type, used to pick the Amazon Linux 2023 AMI when ami_id is not set: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "ami_id" {
  description = "AMI for the nodes. Defaults to the latest Amazon Linux 2023 for architecture, read from the public SSM parameter /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<architecture> (the user-data uses dnf, systemd >= 250 and the AWS CLI, which AL2023 has)."
  type        = string
  default     = null
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted gp3 root volume, which holds the Raft log under /var/lib/skiff."
  type        = number
  default     = 50

  validation {
    condition     = var.root_volume_size_gb >= 20
    error_message = "root_volume_size_gb must be at least 20."
  }
}

variable "artifact_url" {
  description = "S3 URL of the Skiff distribution tarball that `mvn -pl dist -am package` builds as dist/target/skiff-VERSION.tar.gz, e.g. s3://my-artifacts/skiff/skiff-0.1.0-SNAPSHOT.tar.gz. The nodes get read access to exactly this object."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.(tar\\.gz|tgz)$", var.artifact_url))
    error_message = "artifact_url must look like s3://bucket/path/skiff-VERSION.tar.gz."
  }
}

variable "java_package" {
  description = "dnf package that provides Java 21+ on the nodes, installed unless the tarball brings its own runtime."
  type        = string
  default     = "java-21-amazon-corretto-headless"
}

variable "java_opts" {
  description = "JVM options for the node (JAVA_OPTS in /etc/skiff/skiff.env)."
  type        = string
  default     = "-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"

  validation {
    condition     = can(regex("^[^$`\"\\\\\\n]*$", var.java_opts))
    error_message = "java_opts must not contain $, backquotes, double quotes, backslashes or newlines (it is written into a shell here-document and a systemd environment file)."
  }
}

variable "api_port" {
  description = "Client HTTP API port of each node (--api-addr); the load balancer's target port."
  type        = number
  default     = 8001

  validation {
    condition     = var.api_port >= 1024 && var.api_port <= 65535
    error_message = "api_port must be between 1024 and 65535 (the node runs unprivileged)."
  }
}

variable "raft_port" {
  description = "Node-to-node Raft port (--raft-addr); open only between the nodes."
  type        = number
  default     = 9001

  validation {
    condition     = var.raft_port >= 1024 && var.raft_port <= 65535
    error_message = "raft_port must be between 1024 and 65535 (the node runs unprivileged)."
  }
}

variable "allowed_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the load balancer listeners and the nodes' API port."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_cidr_blocks : can(cidrnetmask(c))])
    error_message = "allowed_cidr_blocks must contain IPv4 CIDR blocks such as 10.0.0.0/16."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may reach the load balancer listeners and the nodes' API port."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate ARN. When set, the load balancer also listens with HTTPS on https_port."
  type        = string
  default     = null
}

variable "http_port" {
  description = "Load balancer HTTP listener port."
  type        = number
  default     = 80
}

variable "https_port" {
  description = "Load balancer HTTPS listener port (used only with certificate_arn)."
  type        = number
  default     = 443
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "cluster_secret_parameter_name" {
  description = "Name of the SSM Parameter Store SecureString holding the cluster secret (e.g. /skiff/prod/cluster-secret). Create it before applying; the module never reads its value, so it stays out of the state and the user-data."
  type        = string

  validation {
    condition     = can(regex("^/?[a-zA-Z0-9_.\\-/]+$", var.cluster_secret_parameter_name))
    error_message = "cluster_secret_parameter_name must be an SSM parameter name such as /skiff/prod/cluster-secret."
  }
}

variable "cluster_secret_kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the secret parameter. Leave null for the AWS-managed key alias/aws/ssm, which needs no extra grant."
  type        = string
  default     = null
}

variable "snapshot_bucket_name" {
  description = "Name of the S3 bucket created for snapshots. Defaults to <cluster_name>-snapshots-<account id>."
  type        = string
  default     = null
}

variable "snapshot_prefix" {
  description = "Key prefix of the snapshots inside the bucket (--snapshots s3://bucket/prefix). The nodes can touch nothing outside it."
  type        = string
  default     = "snapshots"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.snapshot_prefix))
    error_message = "snapshot_prefix must be a non-empty key prefix without leading or trailing '/', e.g. snapshots or prod/skiff."
  }
}

variable "snapshot_kms_key_arn" {
  description = "Customer-managed KMS key for the snapshot bucket (SSE-KMS). Null means SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "snapshot_noncurrent_days" {
  description = "Days a replaced or deleted snapshot object version is kept before S3 expires it."
  type        = number
  default     = 30

  validation {
    condition     = var.snapshot_noncurrent_days >= 1
    error_message = "snapshot_noncurrent_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the snapshot bucket with its snapshots in it. Keep false in production."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Deletion protection on the DynamoDB tables and the load balancer."
  type        = bool
  default     = true
}

variable "restore_from" {
  description = "S3 URL of a snapshot (s3://bucket/prefix[/snapshot-id]) to build this new cluster from (--restore-from). The nodes get read-only access to that prefix. Empty for a normal cluster."
  type        = string
  default     = ""

  validation {
    condition     = var.restore_from == "" || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^/].*[^/]$", var.restore_from))
    error_message = "restore_from must be empty or look like s3://bucket/prefix or s3://bucket/prefix/snapshot-id."
  }
}

variable "max_value_bytes" {
  description = "Largest value a client may write (--max-value-bytes)."
  type        = number
  default     = 1048576
}

variable "remove_dead_after" {
  description = "The nodes' --remove-dead-after: a voter unreachable this long is removed from the cluster (never below min_voters voters), so that instances the autoscaling group replaced after a crash do not pile up as dead voters. A duration such as 10m, 30s or 1h; \"0\" never removes."
  type        = string
  default     = "10m"

  validation {
    condition     = can(regex("^(0|[1-9][0-9]*(ms|s|m|h))$", var.remove_dead_after))
    error_message = "remove_dead_after must be a duration such as 10m, 30s or 1h, or \"0\" to never remove dead voters."
  }
}

variable "min_voters" {
  description = "The nodes' --min-voters: neither dead-member removal nor a terminating instance leaving the cluster leaves fewer voters than this. At most node_count (a replacement joins before its dead predecessor is removed)."
  type        = number
  default     = 3

  validation {
    condition     = var.min_voters >= 1 && floor(var.min_voters) == var.min_voters
    error_message = "min_voters must be a whole number of at least 1."
  }
}

variable "unhealthy_hosts_alarm_minutes" {
  description = "Minutes in a row with at least one unhealthy target (a node failing /readyz) before the CloudWatch alarm fires. A starting or replaced node is unhealthy for a minute or two while it catches up."
  type        = number
  default     = 5

  validation {
    condition     = var.unhealthy_hosts_alarm_minutes >= 1 && var.unhealthy_hosts_alarm_minutes <= 60
    error_message = "unhealthy_hosts_alarm_minutes must be between 1 and 60."
  }
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when the unhealthy-hosts alarm fires and when it recovers. Empty: the alarm only shows in CloudWatch."
  type        = list(string)
  default     = []
}

variable "lifecycle_hook_timeout_seconds" {
  description = "How long a terminating instance may take to leave the cluster (transfer leadership, remove itself, stop) before the autoscaling group terminates it anyway."
  type        = number
  default     = 300

  validation {
    condition     = var.lifecycle_hook_timeout_seconds >= 60 && var.lifecycle_hook_timeout_seconds <= 7200
    error_message = "lifecycle_hook_timeout_seconds must be between 60 and 7200."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "enable_ssm_session_manager" {
  description = "Attach AmazonSSMManagedInstanceCore so operators can open shells and run commands (secret rotation, diagnostics) through SSM instead of SSH. Off by default: it grants more than the node needs."
  type        = bool
  default     = false
}

variable "root_volume_iops" {
  description = "Provisioned IOPS of the gp3 root volume (3000 are included in the gp3 price). Every Raft write is an fsync: raise this for write-heavy clusters."
  type        = number
  default     = 3000
}

variable "root_volume_throughput" {
  description = "Throughput of the gp3 root volume in MiB/s (125 are included in the gp3 price)."
  type        = number
  default     = 125
}
