#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A test IP camera: an RTSP server (gst-rtsp-server, through GI) with a
test picture in H.264 and, optionally, a tone in AAC or PCMU.

    /usr/bin/python3 tests/interop/rtsp_camera.py [--port N] [MOUNT ...]

Each MOUNT is a video kind, optionally followed by an audio kind, joined
by "+": the video kinds are
  cb    H.264 constrained baseline, no B-frames (x264enc tune=zerolatency)
  high  H.264 High profile with B-frames (x264enc bframes=2, no zerolatency)
and the audio kinds
  aac   AAC (avenc_aac, else voaacenc, else fdkaacenc) in RTP as
        mpeg4-generic (rtpmp4gpay), what most cameras send
  pcmu  G.711 mu-law (mulawenc ! rtppcmupay)
so `cb`, `high+aac`, `cb+pcmu`. Default: cb high cb+aac high+aac cb+pcmu.

The port is a free one unless given. Once serving, it prints one line per
mount, `rtsp://127.0.0.1:PORT/MOUNT` (with "+" as "-" in the path), then
runs until killed or until its stdin closes (when --stdin is given).
"""
import argparse
import socket
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

VIDEO = ("videotestsrc is-live=true pattern=ball ! "
         "video/x-raw,width=640,height=360,framerate=30/1 ! "
         "videoconvert ! ")
ENCODERS = {
    "cb": ("x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max=30 "
           "! video/x-h264,profile=constrained-baseline"),
    # Without tune=zerolatency so that x264 makes B-frames; a short
    # lookahead keeps the latency bearable.
    "high": ("x264enc speed-preset=superfast dct8x8=true bframes=2 b-adapt=false rc-lookahead=4 "
             "key-int-max=30 ! video/x-h264,profile=high"),
}


def aac_encoder():
    for name in ("avenc_aac", "voaacenc", "fdkaacenc"):
        if Gst.ElementFactory.find(name) is not None:
            return name
    raise SystemExit("no AAC encoder: install gstreamer1.0-libav (avenc_aac)")


def launch_line(mount):
    video, _, audio = mount.partition("+")
    if video not in ENCODERS:
        raise SystemExit(f"unknown video kind {video!r} (cb or high)")
    line = (f"( {VIDEO}{ENCODERS[video]} ! h264parse "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 ")
    tone = "audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audioconvert ! audioresample ! "
    if audio == "aac":
        line += (f"{tone}audio/x-raw,rate=48000,channels=2 ! {aac_encoder()} bitrate=96000 "
                 "! aacparse ! rtpmp4gpay name=pay1 pt=97 ")
    elif audio == "pcmu":
        line += f"{tone}audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 "
    elif audio:
        raise SystemExit(f"unknown audio kind {audio!r} (aac or pcmu)")
    return line + ")"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="RTSP port (default: a free one)")
    parser.add_argument("--stdin", action="store_true", help="stop when stdin closes")
    parser.add_argument("mounts", nargs="*",
                        default=["cb", "high", "cb+aac", "high+aac", "cb+pcmu"])
    args = parser.parse_args()

    Gst.init(None)
    port = args.port or free_port()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    mounts = server.get_mount_points()
    for mount in args.mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(mount))
        # One encoder for every client, as a camera has.
        factory.set_shared(True)
        mounts.add_factory("/" + mount.replace("+", "-"), factory)
    if server.attach(None) == 0:
        raise SystemExit(f"cannot listen on 127.0.0.1:{port}")
    for mount in args.mounts:
        print(f"rtsp://127.0.0.1:{port}/{mount.replace('+', '-')}", flush=True)

    loop = GLib.MainLoop()
    if args.stdin:
        GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT,
                          GLib.IOCondition.IN | GLib.IOCondition.HUP,
                          lambda *a: loop.quit() or False)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
