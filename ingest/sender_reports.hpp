// RTCP Sender Reports of a WHIP participant (webrtcbin's internal rtpbin): they put the
// sender's clock on every frame and, by their arrival, estimate that clock's offset.
//
// Threads: set up on the main-loop thread; the callbacks run on GStreamer streaming threads
// and only touch the ClockSync (its own mutex).
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "ingest/clock_sync.hpp"

namespace tessera::ingest {

// Makes webrtcbin's rtpbin add `timestamp/x-ntp` reference timestamp metas (the sender's capture
// time through its Sender Reports) and feeds every Sender Report's arrival to `clock`. False
// when this GStreamer's webrtcbin has no such rtpbin (frames stay unsynced).
bool watchSenderReports(GstElement* webrtc, std::shared_ptr<ClockSync> clock);

// The NTP times of the Sender Reports in an RTCP compound packet, as Unix ns; empty for
// anything else or malformed bytes.
std::vector<std::int64_t> senderReportTimes(GstBuffer* rtcp);

}  // namespace tessera::ingest
