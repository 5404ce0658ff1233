#pragma once

// The fault-injecting AWS proxy (tests/support/aws_fault_proxy.py) as a process a test owns:
// one loopback listener per caller, every request forwarded unchanged to an AWS endpoint
// (moto_server) and logged, and a caller's calls to one service cut off on demand.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace ecsync::testing {

// One request the proxy forwarded or refused, or one control action ("cut"/"restore" in
// `event`, at `sent`). Times are the proxy's CLOCK_MONOTONIC seconds: the clock
// std::chrono::steady_clock reads, so they compare with SteadySeconds().
struct ProxyEntry {
  std::string event;  // "" for a request
  std::string listener;
  double sent = 0;      // the request was read whole (a control action: when it took effect)
  double answered = 0;  // the answer was ready to go back (or the connection about to close)
  std::string service;  // the SigV4 scope's: "dynamodb", "cloudformation", ...
  std::string action;   // "PutItem", "CreateStack", ...
  int status = 0;       // HTTP status; 0 when cut off
  std::string error;    // AWS error code, e.g. "ConditionalCheckFailedException"
  std::string fault;    // "reset" or "hang" when cut off
  // CloudFormation: StackName, ChangeSetName, ClientRequestToken (or ClientToken).
  std::string stack;
  std::string change_set;
  std::string token;
  // DynamoDB: the item's key, owner and epoch (from the item or the :owner/:epoch values),
  // the update expression.
  std::string pk;
  std::string owner;
  std::string epoch;
  std::string update;

  bool Ok() const { return status >= 200 && status < 300; }
};

// Now on the clock ProxyEntry's times use, in seconds.
double SteadySeconds();

// Started in the constructor (which waits until its control port answers), killed in the
// destructor, which copies the log to $ECSYNC_KEEP_PROXY_LOG when that is set (to read a
// failed run's traffic). Not copyable; not thread-safe.
class AwsFaultProxy {
 public:
  // `upstream`: where requests go, e.g. MotoServer::endpoint(); `routes`: another endpoint
  // for a service's requests (e.g. {"dynamodb", ...}).
  explicit AwsFaultProxy(const std::string& upstream,
                         const std::map<std::string, std::string>& routes = {});
  ~AwsFaultProxy();
  AwsFaultProxy(const AwsFaultProxy&) = delete;
  AwsFaultProxy& operator=(const AwsFaultProxy&) = delete;

  // "http://127.0.0.1:PORT" of `caller`'s own listener, made on the first call.
  std::string Endpoint(const std::string& caller);

  enum class Fault { kReset, kHang };
  // From now on, `caller`'s requests to `service` are not forwarded: the connection is
  // reset (kReset) or held unanswered until the caller gives up or the cut ends (kHang).
  // Returns the proxy's time of the cut: the requests logged as sent after it are cut off.
  double Cut(const std::string& caller, Fault fault, const std::string& service = "dynamodb");
  // Ends the cut; returns its time likewise (requests sent after it are forwarded).
  double Restore(const std::string& caller, const std::string& service = "dynamodb");

  // Every entry logged so far, in the order the proxy finished them. A request is logged
  // before its caller has the answer or the failure.
  std::vector<ProxyEntry> Entries() const;

 private:
  // POSTs to the control port; its answer's body. Throws when the proxy refuses.
  std::string Control(const std::string& path_and_query) const;

  TempDir dir_;
  int control_port_ = 0;
  std::map<std::string, int> ports_;
  std::unique_ptr<Process> process_;
};

}  // namespace ecsync::testing
