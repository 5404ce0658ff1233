#include "aws/stack_files_state.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "aws/timestamp.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::ordered_json;
using TimePoint = std::chrono::system_clock::time_point;

// Bumped when the layout changes in a way older readers would misread.
constexpr int kFormatVersion = 1;
constexpr char kFormatKey[] = "ecsync_stack_files";

// Thrown inside this file only, for a malformed field; StackRecordFromJson catches it.
struct BadField : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Json TimeJson(TimePoint t) { return FormatIso8601(t); }

TimePoint TimeFrom(const Json& j, const char* key) {
  std::string text = j.at(key).get<std::string>();
  std::optional<TimePoint> t = ParseIso8601(text);
  if (!t) throw BadField(std::string("\"") + key + "\" is not a timestamp: " + text);
  return *t;
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? "" : it->get<std::string>();
}

Json ParametersJson(const std::vector<StoredParameter>& parameters) {
  Json out = Json::array();
  for (const StoredParameter& p : parameters) {
    out.push_back(
        {{"key", p.key}, {"value", p.no_echo ? kMaskedValue : p.value}, {"no_echo", p.no_echo}});
  }
  return out;
}

std::vector<StoredParameter> ParametersFrom(const Json& j) {
  std::vector<StoredParameter> out;
  for (const Json& p : j) {
    out.push_back({p.at("key").get<std::string>(), p.at("value").get<std::string>(),
                   p.value("no_echo", false)});
  }
  return out;
}

Json DetailJson(const ResourceChangeDetail& d) {
  return {{"attribute", d.attribute},
          {"name", d.name},
          {"requires_recreation", d.requires_recreation},
          {"evaluation", d.evaluation},
          {"change_source", d.change_source},
          {"causing_entity", d.causing_entity}};
}

ResourceChangeDetail DetailFrom(const Json& j) {
  return {Str(j, "attribute"),  Str(j, "name"),          Str(j, "requires_recreation"),
          Str(j, "evaluation"), Str(j, "change_source"), Str(j, "causing_entity")};
}

Json ChangeJson(const ResourceChange& c) {
  Json details = Json::array();
  for (const ResourceChangeDetail& d : c.details) details.push_back(DetailJson(d));
  return {{"action", c.action},           {"logical_id", c.logical_id},
          {"physical_id", c.physical_id}, {"resource_type", c.resource_type},
          {"replacement", c.replacement}, {"scope", c.scope},
          {"details", std::move(details)}};
}

ResourceChange ChangeFrom(const Json& j) {
  ResourceChange c;
  c.action = j.at("action").get<std::string>();
  c.logical_id = j.at("logical_id").get<std::string>();
  c.physical_id = Str(j, "physical_id");
  c.resource_type = Str(j, "resource_type");
  c.replacement = Str(j, "replacement");
  c.scope = j.value("scope", std::vector<std::string>());
  for (const Json& d : j.value("details", Json::array())) c.details.push_back(DetailFrom(d));
  return c;
}

Json ChangeSetJson(const StoredChangeSet& cs) {
  Json changes = Json::array();
  for (const ResourceChange& c : cs.summary.changes) changes.push_back(ChangeJson(c));
  return {{"id", cs.summary.id},
          {"name", cs.summary.name},
          {"type", cs.type},
          {"status", cs.summary.status},
          {"status_reason", cs.summary.status_reason},
          {"execution_status", cs.summary.execution_status},
          {"description", cs.description},
          {"creation_time", TimeJson(cs.creation_time)},
          {"client_token", cs.client_token},
          {"parameters", ParametersJson(cs.parameters)},
          {"tags", cs.tags},
          {"capabilities", cs.capabilities},
          {"changes", std::move(changes)},
          {"template_body", cs.template_body}};
}

StoredChangeSet ChangeSetFrom(const Json& j, const StackRecord& stack) {
  StoredChangeSet cs;
  cs.summary.id = j.at("id").get<std::string>();
  cs.summary.name = j.at("name").get<std::string>();
  cs.summary.stack_id = stack.id;
  cs.summary.stack_name = stack.name;
  cs.summary.status = j.at("status").get<std::string>();
  cs.summary.status_reason = Str(j, "status_reason");
  cs.summary.execution_status = j.at("execution_status").get<std::string>();
  for (const Json& c : j.value("changes", Json::array()))
    cs.summary.changes.push_back(ChangeFrom(c));
  cs.type = j.at("type").get<std::string>();
  cs.description = Str(j, "description");
  cs.creation_time = TimeFrom(j, "creation_time");
  cs.client_token = Str(j, "client_token");
  cs.parameters = ParametersFrom(j.value("parameters", Json::array()));
  cs.tags = j.value("tags", std::map<std::string, std::string>());
  cs.capabilities = j.value("capabilities", std::vector<std::string>());
  cs.template_body = Str(j, "template_body");
  return cs;
}

Json EventJson(const StackEvent& e) {
  return {{"event_id", e.event_id},     {"timestamp", TimeJson(e.timestamp)},
          {"logical_id", e.logical_id}, {"resource_type", e.resource_type},
          {"status", e.status},         {"reason", e.reason}};
}

StackEvent EventFrom(const Json& j) {
  StackEvent e;
  e.event_id = j.at("event_id").get<std::string>();
  e.timestamp = TimeFrom(j, "timestamp");
  e.logical_id = j.at("logical_id").get<std::string>();
  e.resource_type = Str(j, "resource_type");
  e.status = j.at("status").get<std::string>();
  e.reason = Str(j, "reason");
  return e;
}

Json ResourceJson(const StoredResource& r) {
  return {{"logical_id", r.logical_id},
          {"physical_id", r.physical_id},
          {"type", r.resource_type},
          {"status", r.status},
          {"status_reason", r.status_reason},
          {"drift_status", r.drift_status},
          {"last_updated", TimeJson(r.last_updated)}};
}

StoredResource ResourceFrom(const Json& j) {
  StoredResource r;
  r.logical_id = j.at("logical_id").get<std::string>();
  r.physical_id = Str(j, "physical_id");
  r.resource_type = j.at("type").get<std::string>();
  r.status = j.at("status").get<std::string>();
  r.status_reason = Str(j, "status_reason");
  r.drift_status = j.value("drift_status", std::string("NOT_CHECKED"));
  r.last_updated = TimeFrom(j, "last_updated");
  return r;
}

}  // namespace

bool StackRecord::HasToken(const std::string& token, const std::string& operation) const {
  if (token.empty()) return false;
  return std::any_of(tokens.begin(), tokens.end(), [&](const StoredToken& t) {
    return t.token == token && t.operation == operation;
  });
}

void StackRecord::AddToken(const std::string& token, const std::string& operation) {
  if (!token.empty() && !HasToken(token, operation)) tokens.push_back({token, operation});
}

Stack StackRecord::ToStack() const {
  Stack stack;
  stack.name = name;
  stack.id = id;
  stack.status = status;
  stack.status_reason = status_reason;
  stack.termination_protection = termination_protection;
  stack.tags = tags;
  stack.outputs = outputs;
  return stack;
}

std::string StackRecordToJson(const StackRecord& record) {
  Json resources = Json::array();
  for (const StoredResource& r : record.resources) resources.push_back(ResourceJson(r));
  Json events = Json::array();
  for (const StackEvent& e : record.events) events.push_back(EventJson(e));
  Json change_sets = Json::array();
  for (const StoredChangeSet& cs : record.change_sets) change_sets.push_back(ChangeSetJson(cs));
  Json tokens = Json::array();
  for (const StoredToken& t : record.tokens) {
    tokens.push_back({{"token", t.token}, {"operation", t.operation}});
  }
  Json drift = nullptr;
  if (record.drift) {
    drift = {{"detection_id", record.drift->detection_id},
             {"timestamp", TimeJson(record.drift->timestamp)}};
  }
  Json j = {{kFormatKey, kFormatVersion},
            {"name", record.name},
            {"id", record.id},
            {"status", record.status},
            {"status_reason", record.status_reason},
            {"description", record.description},
            {"creation_time", TimeJson(record.creation_time)},
            {"last_updated_time", TimeJson(record.last_updated_time)},
            {"termination_protection", record.termination_protection},
            {"template_format", record.template_format},
            {"tags", record.tags},
            {"parameters", ParametersJson(record.parameters)},
            {"capabilities", record.capabilities},
            {"outputs", record.outputs},
            {"resources", std::move(resources)},
            {"events", std::move(events)},
            {"change_sets", std::move(change_sets)},
            {"last_drift_detection", std::move(drift)},
            {"client_request_tokens", std::move(tokens)}};
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

base::Result<StackRecord> StackRecordFromJson(const std::string& text, const std::string& path) {
  const std::string advice =
      "; fix the file, or delete it (and the stack's template file next to it) to make "
      "ecsync forget that stack";
  try {
    Json j = Json::parse(text);
    if (!j.is_object() || !j.contains(kFormatKey)) {
      throw BadField(std::string("it has no \"") + kFormatKey + "\" version field");
    }
    int version = j.at(kFormatKey).get<int>();
    if (version != kFormatVersion) {
      return base::InternalError("stack file " + path + " has format version " +
                                 std::to_string(version) + ", but this ecsync reads version " +
                                 std::to_string(kFormatVersion) + "; use the ecsync that wrote it" +
                                 advice);
    }
    StackRecord r;
    r.name = j.at("name").get<std::string>();
    r.id = j.at("id").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.status_reason = Str(j, "status_reason");
    r.description = Str(j, "description");
    r.creation_time = TimeFrom(j, "creation_time");
    r.last_updated_time = TimeFrom(j, "last_updated_time");
    r.termination_protection = j.value("termination_protection", false);
    r.template_format = Str(j, "template_format");
    if (!r.template_format.empty() && r.template_format != "json" && r.template_format != "yaml") {
      throw BadField("\"template_format\" must be \"json\" or \"yaml\"");
    }
    r.tags = j.value("tags", std::map<std::string, std::string>());
    r.parameters = ParametersFrom(j.value("parameters", Json::array()));
    r.capabilities = j.value("capabilities", std::vector<std::string>());
    r.outputs = j.value("outputs", std::map<std::string, std::string>());
    for (const Json& res : j.value("resources", Json::array()))
      r.resources.push_back(ResourceFrom(res));
    for (const Json& e : j.value("events", Json::array())) r.events.push_back(EventFrom(e));
    for (const Json& cs : j.value("change_sets", Json::array())) {
      r.change_sets.push_back(ChangeSetFrom(cs, r));
    }
    const Json& drift = j.value("last_drift_detection", Json());
    if (drift.is_object()) {
      r.drift =
          StoredDrift{drift.at("detection_id").get<std::string>(), TimeFrom(drift, "timestamp")};
    }
    for (const Json& t : j.value("client_request_tokens", Json::array())) {
      r.tokens.push_back({t.at("token").get<std::string>(), t.at("operation").get<std::string>()});
    }
    return r;
  } catch (const std::exception& e) {
    return base::InternalError("stack file " + path + " is unreadable (" + e.what() + ")" + advice);
  }
}

}  // namespace ecsync::aws
