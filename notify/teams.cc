#include "notify/teams.h"

#include <nlohmann/json.hpp>

namespace ecsync::notify {

namespace {

using nlohmann::ordered_json;

constexpr size_t kTextBytes = 2000;

// The title's color: Adaptive Cards' named colors.
const char* Color(EventKind kind) {
  switch (kind) {
    case EventKind::kDeploySucceeded:
    case EventKind::kApproved:
      return "Good";
    case EventKind::kDeployFailed:
    case EventKind::kDeployError:
    case EventKind::kStalled:
    case EventKind::kSignatureRefused:
      return "Attention";
    case EventKind::kDriftDetected:
    case EventKind::kApprovalPending:
      return "Warning";
    case EventKind::kRejected:
      return "Attention";
    case EventKind::kDeployStarted:
    case EventKind::kPruned:
    case EventKind::kHeld:
    case EventKind::kSuperseded:
      break;
  }
  return "Default";
}

ordered_json Fact(const std::string& title, const std::string& value) {
  return {{"title", title}, {"value", OneLine(value, kTextBytes)}};
}

}  // namespace

std::string TeamsSink::Body(const Event& event) {
  ordered_json facts = ordered_json::array();
  facts.push_back(Fact("Project", event.project_key));
  if (!event.stack.empty()) facts.push_back(Fact("Stack", event.stack));
  if (!event.revision.empty()) facts.push_back(Fact("Revision", ShortSha(event.revision)));
  facts.push_back(Fact("Repository", event.repository));
  if (!event.change_set.empty()) facts.push_back(Fact("Change set", event.change_set));
  if (!event.actor.empty()) facts.push_back(Fact("By", event.actor));

  ordered_json body = ordered_json::array();
  body.push_back({{"type", "TextBlock"},
                  {"text", OneLine(EventTitle(event.kind) + ": " + event.project_key, kTextBytes)},
                  {"size", "Large"},
                  {"weight", "Bolder"},
                  {"color", Color(event.kind)},
                  {"wrap", true}});
  if (!event.description.empty()) {
    body.push_back(
        {{"type", "TextBlock"}, {"text", OneLine(event.description, kTextBytes)}, {"wrap", true}});
  }
  body.push_back({{"type", "FactSet"}, {"facts", std::move(facts)}});

  ordered_json card = {{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                       {"type", "AdaptiveCard"},
                       {"version", "1.4"},
                       {"body", std::move(body)}};
  const std::string link = Link(event);
  if (!link.empty()) {
    card["actions"] = ordered_json::array(
        {{{"type", "Action.OpenUrl"}, {"title", "Open in ecsync"}, {"url", link}}});
  }
  ordered_json message = {
      {"type", "message"},
      {"attachments",
       ordered_json::array({{{"contentType", "application/vnd.microsoft.card.adaptive"},
                             {"contentUrl", nullptr},
                             {"content", std::move(card)}}})}};
  return message.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace ecsync::notify
