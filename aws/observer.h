#pragma once

#include <chrono>
#include <string>

#include "base/result.h"

namespace ecsync::aws {

// What one AWS call did, after its last attempt. Holds no credential, signature, token,
// request or response body.
struct CallRecord {
  std::string service;     // service id, e.g. "CloudFormation"
  std::string operation;   // e.g. "DescribeStacks"
  int http_status = 0;     // of the last attempt; 0 when no response arrived
  std::string error_code;  // AWS's code of the last attempt ("" on success or network error)
  bool ok = false;
  base::ErrorKind error_kind = base::ErrorKind::kInternal;  // meaningful when !ok
  int attempts = 0;
  std::chrono::milliseconds duration{0};  // first attempt to last response, backoff included
};

// Receives one record per call (metrics/ adapts this to its counters and histograms).
// Implementations are thread-safe and fast; they are called on the calling thread.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void OnCall(const CallRecord& record) = 0;
};

}  // namespace ecsync::aws
