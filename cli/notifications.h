#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/http.h"
#include "base/clock.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "notify/dispatcher.h"
#include "notify/event.h"

namespace ecsync::cli {

// The Slack, Teams and webhook sinks `config.notifications` lists, in order. Links point
// below `external_url` ("" for none). `http` and `clock` must outlive the sinks.
std::vector<std::unique_ptr<notify::Sink>> MakeNotificationSinks(const config::Config& config,
                                                                 const std::string& external_url,
                                                                 aws::HttpClient& http,
                                                                 base::Clock& clock);

// What serve and `reconcile --once --config` publish events to: a dispatcher with every sink
// of the configuration, not started. Null when nothing is configured, so the controller
// publishes nothing. `http`, `clock` and `metrics` (may be null) must outlive it.
std::unique_ptr<notify::Dispatcher> MakeDispatcher(const config::Config& config,
                                                   aws::HttpClient& http, base::Clock& clock,
                                                   metrics::Metrics* metrics);

}  // namespace ecsync::cli
