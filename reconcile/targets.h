#pragma once

#include <functional>
#include <memory>
#include <string>

#include "artifacts/registry.h"

#include "aws/cloudformation.h"
#include "aws/codebuild.h"
#include "aws/ecs.h"
#include "aws/efs.h"
#include "aws/elbv2.h"
#include "aws/make_clients.h"
#include "aws/s3.h"
#include "aws/ssm.h"
#include "base/clock.h"

namespace ecsync::reconcile {

// Where stacks go and the AWS services a reconcile asks besides CloudFormation: the one
// bundle that every command and the controller hand to the reconcile side. A bundle from
// TargetsFromClients or StackFileTargets owns what it points to (through `owner`, shared by
// its copies); one filled in by hand (tests) points to objects that must outlive it.
struct Targets {
  aws::CloudFormation* cloudformation = nullptr;  // required
  // Looks up the default VPC and its subnets; null: the network must be given (stack files).
  aws::Ec2* ec2 = nullptr;
  // Ends waits early when a service's new tasks keep stopping (see CrashDetector): a create
  // is then deleted and an update cancelled. Null: waits run to their end.
  aws::Ecs* ecs = nullptr;
  // Carries templates over CloudFormation's 51,200-byte TemplateBody limit, and the nested
  // stacks' templates of projects over one stack's limits, to
  // ReconcileOptions::template_bucket, or refuses them when no bucket is set. Null (stack
  // files, which have no limit): every template goes inline and is never split.
  aws::S3* s3 = nullptr;
  // Resolves x-aws-loadbalancer by name or ARN before converting (see LookUpLoadBalancer).
  // Null: an ARN is taken as it is and a name is refused.
  aws::Elbv2* elbv2 = nullptr;
  // Finds the EFS file systems an earlier deployment retained (see AddRetainedFileSystems),
  // so a stack deleted and created again finds its data. Null: every named volume not in
  // the stack gets a new file system.
  aws::Efs* efs = nullptr;
  // Builds images with the `codebuild` builder (see reconcile/codebuild_builder.h). Null
  // (stack files): a project with that builder is refused. Tests put a stand-in in front.
  aws::CodeBuild* codebuild = nullptr;
  // Writes the approval parameters of deployments waiting for a manual approval (see
  // ApproveDeployments). Null (stack files): approving is refused.
  aws::Ssm* ssm = nullptr;
  // Opens the registry a project's built images are pushed to (see artifacts::OpenRegistry).
  // Null: a project with an image builder is refused. Tests substitute a registry that
  // answers "not yet".
  std::function<base::Result<std::shared_ptr<artifacts::ImageRegistry>>(
      const std::string& host, const artifacts::RegistryV2Options& access)>
      open_registry = nullptr;
  // Keeps the clients above alive when the bundle owns them; null otherwise.
  std::shared_ptr<const void> owner = nullptr;
};

// The AWS services of `clients`, sharing their AwsClient.
Targets TargetsFromClients(aws::AwsClients clients);

// Stacks kept as files in `dir` (see aws::StackFiles) and no other service, so the network
// must be configured. `clock` stamps stack events and must outlive every copy.
Targets StackFileTargets(const std::string& dir, base::Clock& clock);

}  // namespace ecsync::reconcile
