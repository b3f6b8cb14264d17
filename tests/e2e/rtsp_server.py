"""A real RTSP server on loopback (GStreamer's libgstrtspserver through PyGObject): one mount,
/cam, serving H.264 of a solid colour at 320x240@15 with RTCP Sender Reports. With --user and
--password the mount asks for HTTP Basic authentication (401 without the right one). With
--tcp-only it refuses UDP transports (461), as behind a firewall: clients must interleave. With
--tls-cert and --tls-key it speaks RTSPS (RTSP over TLS, media interleaved): rtsps://...

With --transports FILE every SETUP's Transport header (what the client asked for) is appended to
FILE, one a line.

Usage: rtsp_server.py --port P --color 0xRRGGBB [--user U --password W] [--tcp-only]
                      [--tls-cert CERT.pem --tls-key KEY.pem] [--transports FILE]
Prints "ready" once it listens; runs until killed.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gio, GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--color", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--tcp-only", action="store_true")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--transports")
    ap.add_argument("--moving", action="store_true", help="moving SMPTE bars (benches)")
    args = ap.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    colour = int(args.color, 16) | 0xFF000000
    source = ("videotestsrc is-live=true pattern=smpte horizontal-speed=4" if args.moving else
              "videotestsrc is-live=true pattern=solid-color foreground-color=%d" % colour)
    factory.set_launch(
        "( %s ! "
        "video/x-raw,width=320,height=240,framerate=15/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300 ! "
        "rtph264pay name=pay0 pt=96 config-interval=1 )" % source)
    factory.set_shared(True)
    if args.tcp_only:
        factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    auth = None
    if args.tls_cert:
        # The server's certificate (GstRTSPAuth carries it): every connection is TLS.
        auth = GstRtspServer.RTSPAuth()
        auth.set_tls_certificate(Gio.TlsCertificate.new_from_files(args.tls_cert, args.tls_key))
        server.set_auth(auth)
        if not args.user:  # an open mount behind TLS
            token = GstRtspServer.RTSPToken()
            token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "anonymous")
            auth.set_default_token(token)
            permissions = GstRtspServer.RTSPPermissions()
            for perm in (GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS,
                         GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT):
                permissions.add_permission_for_role("anonymous", perm, True)
            factory.set_permissions(permissions)
    if args.user:
        auth = auth or GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("viewer", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                            True)
        permissions.add_permission_for_role(
            "viewer", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)
    if args.transports:
        def on_setup(client, ctx):
            _, transport = ctx.request.get_header(GstRtsp.RTSPHeaderField.TRANSPORT, 0)
            with open(args.transports, "a") as f:
                f.write(f"{transport}\n")

        server.connect("client-connected",
                       lambda _, client: client.connect("setup-request", on_setup))
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print("cannot listen", flush=True)
        sys.exit(1)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
