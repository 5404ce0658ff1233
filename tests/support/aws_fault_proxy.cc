#include "tests/support/aws_fault_proxy.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace ecsync::testing {

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

AwsFaultProxy::AwsFaultProxy(const std::string& upstream,
                             const std::map<std::string, std::string>& routes) {
  const std::string port_file = dir_.path() + "/port";
  std::vector<std::string> argv = {"python3",     SourceDir() + "/tests/support/aws_fault_proxy.py",
                                   "--upstream",  upstream,
                                   "--port-file", port_file,
                                   "--log",       dir_.path() + "/requests.jsonl"};
  for (const auto& [service, endpoint] : routes) {
    argv.push_back("--route");
    argv.push_back(service + "=" + endpoint);
  }
  process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{},
                                       dir_.path() + "/proxy.log");
  const bool started = WaitUntil(
      [&] {
        return std::ifstream(port_file).good() ||
               process_->Wait(std::chrono::milliseconds(0)).has_value();
      },
      std::chrono::seconds(30));
  std::ifstream in(port_file);
  if (!started || !(in >> control_port_) ||
      !WaitUntil([&] { return PortAccepts(control_port_); })) {
    throw std::runtime_error("aws_fault_proxy.py did not start: " + process_->Log());
  }
}

AwsFaultProxy::~AwsFaultProxy() {
  if (const char* keep = std::getenv("ECSYNC_KEEP_PROXY_LOG")) {
    std::filesystem::copy_file(dir_.path() + "/requests.jsonl", keep,
                               std::filesystem::copy_options::overwrite_existing);
  }
}

std::string AwsFaultProxy::Control(const std::string& path_and_query) const {
  CommandResult r =
      RunCommand({"curl", "-sf", "-X", "POST",
                  "http://127.0.0.1:" + std::to_string(control_port_) + path_and_query});
  if (r.exit_code != 0) {
    throw std::runtime_error("aws_fault_proxy.py refused " + path_and_query + ": " + r.err +
                             process_->Log());
  }
  return r.out;
}

std::string AwsFaultProxy::Endpoint(const std::string& caller) {
  auto [it, added] = ports_.emplace(caller, 0);
  if (added) it->second = std::stoi(Control("/listeners?name=" + caller));
  return "http://127.0.0.1:" + std::to_string(it->second);
}

double AwsFaultProxy::Cut(const std::string& caller, Fault fault, const std::string& service) {
  return std::stod(Control("/cut?listener=" + caller + "&service=" + service +
                           "&mode=" + (fault == Fault::kHang ? "hang" : "reset")));
}

double AwsFaultProxy::Restore(const std::string& caller, const std::string& service) {
  return std::stod(Control("/restore?listener=" + caller + "&service=" + service));
}

std::vector<ProxyEntry> AwsFaultProxy::Entries() const {
  std::vector<ProxyEntry> entries;
  std::ifstream in(dir_.path() + "/requests.jsonl");
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) continue;  // a line still being written
    auto text = [&](const char* key) { return doc.value(key, std::string()); };
    ProxyEntry entry;
    entry.event = text("event");
    entry.listener = text("listener");
    entry.sent = doc.value("sent", doc.value("at", 0.0));
    entry.answered = doc.value("answered", entry.sent);
    entry.service = text("service");
    entry.action = text("action");
    entry.status = doc.value("status", 0);
    entry.error = text("error");
    entry.fault = text("fault");
    entry.stack = text("stack");
    entry.change_set = text("change_set");
    entry.token = text("token");
    entry.pk = text("pk");
    entry.owner = text("owner");
    entry.epoch = text("epoch");
    entry.update = text("update");
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace ecsync::testing
