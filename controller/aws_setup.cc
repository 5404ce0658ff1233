#include "controller/aws_setup.h"

#include "aws/make_clients.h"
#include "aws/credentials.h"
#include "aws/stack_files.h"
#include "base/clock.h"

namespace ecsync::controller {

bool AwsConfigured(const AwsFlags& flags, const aws::EnvLookup& env) {
  if (!flags.stack_dir.empty()) return false;
  if (!flags.endpoint_url.empty()) return true;
  aws::CredentialOptions options{env, flags.profile};
  return aws::ResolveCredentials(options).ok() &&
         (!flags.region.empty() || aws::ResolveRegion(options).ok());
}

base::Result<AwsServices> ConnectAws(const AwsFlags& flags, const aws::EnvLookup& env) {
  if (!flags.stack_dir.empty()) {
    // No EC2 offline: the VPC and subnets must come from the flags.
    return AwsServices{std::make_shared<aws::StackFiles>(flags.stack_dir, *base::SystemClock::Get()),
                       nullptr, nullptr};
  }
  aws::AwsClientsOptions options;
  options.env = env;
  options.endpoint_override = flags.endpoint_url;
  options.region_override = flags.region;
  options.profile = flags.profile;
  ECSYNC_ASSIGN_OR_RETURN(aws::AwsClients clients, aws::MakeAwsClients(options));
  return AwsServices{clients.cloudformation, clients.ec2, clients.ecs};
}

}  // namespace ecsync::controller
