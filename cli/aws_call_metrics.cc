#include "cli/aws_call_metrics.h"

namespace ecsync::cli {

std::string AwsCallMetrics::CodeLabel(const aws::CallRecord& record) {
  if (record.ok) return "OK";
  if (!record.error_code.empty()) return record.error_code;
  if (record.http_status == 0) return "NetworkError";
  if (record.http_status >= 200 && record.http_status < 300) return "InvalidResponse";
  return "HTTP" + std::to_string(record.http_status);
}

void AwsCallMetrics::OnCall(const aws::CallRecord& record) {
  metrics_.AwsCall(record.service, record.operation, CodeLabel(record), record.ok, record.attempts);
}

}  // namespace ecsync::cli
