#include "base/result.h"

namespace ecsync::base {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return "invalid";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kThrottled:
      return "throttled";
    case ErrorKind::kTransient:
      return "transient";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok_) return "ok";
  return std::string(ErrorKindName(kind_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok_) return *this;
  return Status(kind_, context + ": " + message_);
}

}  // namespace ecsync::base
