#pragma once

#include <string>

#include "aws/observer.h"
#include "metrics/metrics.h"

namespace ecsync::cli {

// Counts every AWS call in `metrics` (ecsync_aws_requests_total, ecsync_aws_retries_total).
// The code label is "OK" on success, else AWS's error code, else "NetworkError" when no
// response arrived, "InvalidResponse" for a 2xx answer that could not be used, or
// "HTTP<status>" (e.g. "HTTP503") for an error status without a parsable code.
// Thread-safe. `metrics` must outlive this observer.
class AwsCallMetrics final : public aws::CallObserver {
 public:
  explicit AwsCallMetrics(metrics::Metrics& metrics) : metrics_(metrics) {}

  void OnCall(const aws::CallRecord& record) override;

  // The code label for `record`, as described above.
  static std::string CodeLabel(const aws::CallRecord& record);

 private:
  metrics::Metrics& metrics_;
};

}  // namespace ecsync::cli
