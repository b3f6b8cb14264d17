// Process-level facts and limits.
#pragma once

#include <string>

namespace tessera::platform {

struct FdLimit {
  unsigned long before = 0;
  unsigned long after = 0;
};
// Raises the soft RLIMIT_NOFILE to the hard limit: GStreamer uses about 7 descriptors per pulled
// feed, so 256 feeds pass the common 1024 default.
FdLimit raiseFileDescriptorLimit();

// Resident set size high-water mark of this process in KiB (VmHWM).
long peakRssKib();

}  // namespace tessera::platform
