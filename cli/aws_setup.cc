#include "cli/aws_setup.h"

#include <utility>

#include "aws/credentials.h"
#include "aws/make_clients.h"
#include "base/clock.h"

namespace ecsync::cli {

bool AwsConfigured(const AwsFlags& flags, const base::EnvLookup& env) {
  if (!flags.stack_dir.empty()) return false;
  if (!flags.endpoint_url.empty()) return true;
  // Configured credentials of any kind, without asking the network: `convert` must not
  // stall probing instance metadata on a laptop. (On EC2 with only an instance profile,
  // pass --region or --endpoint-url to make convert look the VPC up.)
  aws::CredentialOptions options{env, flags.profile};
  bool credentials = aws::ResolveCredentials(options).ok() ||
                     base::NonEmptyEnv(env, "AWS_WEB_IDENTITY_TOKEN_FILE").has_value() ||
                     base::NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").has_value() ||
                     base::NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI").has_value();
  return !flags.region.empty() || (credentials && aws::ResolveRegion(options).ok());
}

base::Result<reconcile::Targets> ConnectAws(const AwsFlags& flags, const base::EnvLookup& env) {
  if (!flags.stack_dir.empty()) {
    if (!flags.template_bucket.empty()) {
      return base::InvalidError(
          "--template-bucket does not go with --stack-dir: stack files take templates of any "
          "size inline");
    }
    // No EC2 offline: the VPC and subnets must come from the flags.
    return reconcile::StackFileTargets(flags.stack_dir, *base::SystemClock::Get());
  }
  ECSYNC_ASSIGN_OR_RETURN(aws::AwsClients clients, MakeClients(flags, env));
  return reconcile::TargetsFromClients(std::move(clients));
}

base::Result<aws::AwsClients> MakeClients(const AwsFlags& flags, const base::EnvLookup& env) {
  if (!flags.stack_dir.empty()) {
    return base::InvalidError("--stack-dir keeps stacks as files; this command needs AWS");
  }
  aws::AwsClientsOptions options;
  options.env = env;
  options.endpoint_override = flags.endpoint_url;
  options.region_override = flags.region;
  options.profile = flags.profile;
  return aws::MakeAwsClients(options);
}

base::Result<reconcile::Targets> ConnectAws(const config::AwsConfig& config,
                                            const base::EnvLookup& env,
                                            std::shared_ptr<aws::CallObserver> observer,
                                            std::shared_ptr<base::RateLimiter> limiter) {
  if (!config.stack_dir.empty()) {
    return reconcile::StackFileTargets(config.stack_dir, *base::SystemClock::Get());
  }
  aws::AwsClientsOptions options;
  options.env = env;
  options.endpoint_override = config.endpoint_url;
  options.region_override = config.region;
  options.profile = config.profile;
  options.observer = std::move(observer);
  options.rate_limiter = std::move(limiter);
  options.role_arn = config.role_arn;
  ECSYNC_ASSIGN_OR_RETURN(aws::AwsClients clients, aws::MakeAwsClients(options));
  return reconcile::TargetsFromClients(std::move(clients));
}

}  // namespace ecsync::cli
