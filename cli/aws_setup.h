#pragma once

#include <memory>

#include "aws/cloudformation.h"
#include "aws/ecs.h"
#include "base/env.h"
#include "aws/efs.h"
#include "aws/elbv2.h"
#include "aws/s3.h"
#include "base/result.h"
#include "cli/commands.h"

namespace ecsync::cli {

// The AWS services a command talks to.
struct AwsServices {
  std::shared_ptr<aws::CloudFormation> cloudformation;
  std::shared_ptr<aws::Ec2> ec2;
  std::shared_ptr<aws::Ecs> ecs;  // null offline (--stack-dir)
  std::shared_ptr<aws::S3> s3;    // for large templates; null offline (--stack-dir)
  // x-aws-loadbalancer lookups and retained EFS file systems; null offline (--stack-dir)
  std::shared_ptr<aws::Elbv2> elbv2;
  std::shared_ptr<aws::Efs> efs;
};

// True when credentials and a region can be found (so AWS can be asked), or an endpoint
// was named explicitly.
bool AwsConfigured(const AwsFlags& flags, const base::EnvLookup& env);

// Builds clients from the flags and the environment, or the stack-files target when
// flags.stack_dir is set (then ec2 and s3 are null). kInvalid, saying what to set, when no
// credentials or region are found, or when a template bucket is named with stack_dir.
base::Result<AwsServices> ConnectAws(const AwsFlags& flags, const base::EnvLookup& env);

}  // namespace ecsync::cli
