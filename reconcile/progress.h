#pragma once

#include <functional>
#include <string>

namespace ecsync::reconcile {

// One thing a reconcile reports as it goes: a step ("creating stack shop"), a resource event
// from CloudFormation, or a planned resource change from a change set.
struct ProgressEvent {
  enum class Kind { kStep, kResource, kChange };
  Kind kind = Kind::kStep;
  std::string stack;
  std::string message;         // kStep: the sentence
  std::string logical_id;      // kResource, kChange
  std::string resource_type;   // kResource, kChange
  std::string status;          // kResource: ResourceStatus; kChange: Add | Modify | Remove
  std::string reason;          // kResource: ResourceStatusReason; kChange: "replacement: True"
  double elapsed_seconds = 0;  // since the operation started (kResource)
};

// Receives events in order. Called from the reconciling thread only.
using ProgressSink = std::function<void(const ProgressEvent& event)>;

// Sends `line` about `stack` to `sink` as a message event; nothing when `sink` is empty.
void Say(const ProgressSink& sink, const std::string& stack, const std::string& line);

// The event as one line of plain text (what the CLI prints without --output json).
std::string FormatText(const ProgressEvent& event);
// The event as one line of JSON (--output json), without a trailing newline.
std::string FormatJson(const ProgressEvent& event);

}  // namespace ecsync::reconcile
