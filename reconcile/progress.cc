#include "reconcile/progress.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace ecsync::reconcile {

std::string FormatText(const ProgressEvent& event) {
  switch (event.kind) {
    case ProgressEvent::Kind::kStep:
      return event.message;
    case ProgressEvent::Kind::kChange: {
      const char* mark = event.status == "Add" ? "+" : event.status == "Remove" ? "-" : "~";
      std::string line =
          std::string("  ") + mark + " " + event.logical_id + " (" + event.resource_type + ")";
      if (!event.reason.empty()) line += " " + event.reason;
      return line;
    }
    case ProgressEvent::Kind::kResource: {
      char prefix[32];
      std::snprintf(prefix, sizeof(prefix), "%7.1fs", event.elapsed_seconds);
      std::string line = std::string(prefix) + "  " + event.logical_id;
      line.append(line.size() < 44 ? 44 - line.size() : 1, ' ');
      line += event.status;
      if (!event.resource_type.empty()) line += "  " + event.resource_type;
      if (!event.reason.empty()) line += "  (" + event.reason + ")";
      return line;
    }
  }
  return event.message;
}

std::string FormatJson(const ProgressEvent& event) {
  nlohmann::ordered_json j;
  switch (event.kind) {
    case ProgressEvent::Kind::kStep:
      j["event"] = "step";
      j["stack"] = event.stack;
      j["message"] = event.message;
      break;
    case ProgressEvent::Kind::kChange:
      j["event"] = "change";
      j["stack"] = event.stack;
      j["action"] = event.status;
      j["logical_id"] = event.logical_id;
      j["type"] = event.resource_type;
      if (!event.reason.empty()) j["detail"] = event.reason;
      break;
    case ProgressEvent::Kind::kResource:
      j["event"] = "resource";
      j["stack"] = event.stack;
      j["logical_id"] = event.logical_id;
      j["type"] = event.resource_type;
      j["status"] = event.status;
      if (!event.reason.empty()) j["reason"] = event.reason;
      j["elapsed_seconds"] =
          static_cast<double>(static_cast<int64_t>(event.elapsed_seconds * 10)) / 10;
      break;
  }
  return j.dump();
}

void Say(const ProgressSink& sink, const std::string& stack, const std::string& line) {
  if (!sink) return;
  ProgressEvent event;
  event.stack = stack;
  event.message = line;
  sink(event);
}

}  // namespace ecsync::reconcile
