#pragma once

#include <sys/socket.h>

#include <string>
#include <utility>

#include "base/result.h"

namespace ecsync::server {

// Splits "host:port" ("[::1]:8080" for IPv6; the brackets are removed). kInvalid when
// malformed or the port is not 0..65535.
base::Result<std::pair<std::string, int>> ParseListenAddress(const std::string& address);

// A listening TCP socket, non-blocking and close-on-exec, with SO_REUSEADDR.
struct BoundSocket {
  int fd = -1;
  int port = 0;  // the bound port (the one the kernel picked when asked for 0)
};

// Resolves `address` (numeric or a name such as "localhost") and binds the first result that
// accepts. kInvalid naming the address when it is malformed or cannot be bound.
base::Result<BoundSocket> Listen(const std::string& address);

// The IP address in `storage` as text; an IPv4-mapped IPv6 address is written as IPv4.
std::string AddressText(const sockaddr_storage& storage);

}  // namespace ecsync::server
