#include "notify/event.h"

namespace ecsync::notify {

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kDeployStarted:
      return "deploy_started";
    case EventKind::kDeploySucceeded:
      return "deploy_succeeded";
    case EventKind::kDeployFailed:
      return "deploy_failed";
    case EventKind::kDeployError:
      return "deploy_error";
    case EventKind::kDriftDetected:
      return "drift_detected";
    case EventKind::kStalled:
      return "stalled";
    case EventKind::kPruned:
      return "pruned";
    case EventKind::kSignatureRefused:
      return "signature_refused";
    case EventKind::kHeld:
      return "held";
    case EventKind::kApprovalPending:
      return "approval_pending";
    case EventKind::kApproved:
      return "approved";
    case EventKind::kRejected:
      return "rejected";
    case EventKind::kSuperseded:
      return "superseded";
  }
  return "unknown";
}

}  // namespace ecsync::notify
