#pragma once

#include <memory>

#include "aws/make_clients.h"
#include "aws/observer.h"
#include "base/env.h"
#include "base/rate_limiter.h"
#include "base/result.h"
#include "cli/commands.h"
#include "config/config.h"
#include "reconcile/targets.h"

namespace ecsync::cli {

// True when credentials and a region can be found (so AWS can be asked), or an endpoint
// was named explicitly.
bool AwsConfigured(const AwsFlags& flags, const base::EnvLookup& env);

// The targets of a command: AWS clients from the flags and the environment, or the
// stack-files target alone when flags.stack_dir is set. kInvalid, saying what to set, when
// no credentials or region are found, or when a template bucket is named with stack_dir.
base::Result<reconcile::Targets> ConnectAws(const AwsFlags& flags, const base::EnvLookup& env);

// The AWS clients the flags and the environment name (never stack files: kInvalid when
// flags.stack_dir is set). kInvalid, saying what to set, when no credentials or region are
// found.
base::Result<aws::AwsClients> MakeClients(const AwsFlags& flags, const base::EnvLookup& env);

// The targets of `serve` and `reconcile --once --config`: the stack-files target when
// aws.stack_dir is set, else AWS clients that report every call to `observer` and share
// `limiter` (both may be null).
base::Result<reconcile::Targets> ConnectAws(const config::AwsConfig& config,
                                            const base::EnvLookup& env,
                                            std::shared_ptr<aws::CallObserver> observer,
                                            std::shared_ptr<base::RateLimiter> limiter);

}  // namespace ecsync::cli
