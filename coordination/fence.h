#pragma once

// The fence a lease grants (see base/fence.h, where the type lives so that reconcile/ can
// obey it without depending on coordination/).

#include "base/fence.h"

namespace ecsync::coordination {

using base::Fence;
using base::FencedToken;

}  // namespace ecsync::coordination
