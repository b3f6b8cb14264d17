"""Helpers for the gallery window tests: an Xvfb display, its pixels (ffmpeg x11grab) and its
windows (xwininfo, xdotool)."""
import os
import re
import subprocess
import tempfile

from tessera_harness import decode_png, wait_until

PATTERN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "test_pattern.fs")


class Xvfb:
    """An Xvfb server with one screen of width x height, on a display number free for this test."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.proc = None
        for n in range(100 + os.getpid() % 700, 100 + os.getpid() % 700 + 50):
            if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
                self.display = f":{n}"
                break
        self.dir = tempfile.mkdtemp(prefix="gallery-x11-")

    def __enter__(self):
        self.proc = subprocess.Popen(
            # -noreset: the server keeps its state (the pointer) between short-lived clients.
            ["Xvfb", self.display, "-screen", "0", f"{self.width}x{self.height}x24", "-nolisten",
             "tcp", "-noreset"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{self.display[1:]}"), 10, "Xvfb")
        os.environ["DISPLAY"] = self.display
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)

    def grab(self, draw_mouse=False):
        """The whole screen, decoded: (width, height, channels, rows)."""
        out = os.path.join(self.dir, "grab.png")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "x11grab", "-draw_mouse",
                        "1" if draw_mouse else "0", "-video_size", f"{self.width}x{self.height}",
                        "-i", self.display, "-frames:v", "1", out], check=True, timeout=30)
        with open(out, "rb") as f:
            return decode_png(f.read())

    def windows(self, name):
        """[(id, x, y, w, h)] of the mapped windows whose title contains `name`."""
        tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                              timeout=10).stdout
        found = []
        for line in tree.splitlines():
            m = re.match(r'\s*(0x[0-9a-f]+) "([^"]*)".*?(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s+'
                         r'\+(-?\d+)\+(-?\d+)', line)
            if m and name in m.group(2):
                info = subprocess.run(["xwininfo", "-id", m.group(1)], capture_output=True,
                                      text=True, timeout=10).stdout
                if "IsViewable" in info:
                    found.append((m.group(1), int(m.group(7)), int(m.group(8)), int(m.group(3)),
                                  int(m.group(4))))
        return found

    def xdotool(self, *args):
        subprocess.run(["xdotool", *args], check=True, timeout=10)


def pixel(image, x, y):
    width, height, channels, rows = image
    return tuple(rows[y][x * channels + k] for k in range(3))


def distance(a, b):
    return max(abs(p - q) for p, q in zip(a, b))


def close_request(window_id):
    """Asks a window to close as a window manager's close button does: a WM_DELETE_WINDOW
    client message (xdotool 3.2016 has no windowclose)."""
    import ctypes
    import ctypes.util

    class ClientMessage(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                    ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                    ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]

    class Event(ctypes.Union):
        _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]

    x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                               ctypes.POINTER(Event)]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    assert display, "cannot open the X display"
    e = Event()
    e.xclient.type = 33  # ClientMessage
    e.xclient.window = int(window_id, 16)
    e.xclient.message_type = x11.XInternAtom(display, b"WM_PROTOCOLS", 0)
    e.xclient.format = 32
    e.xclient.data[0] = x11.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
    e.xclient.data[1] = 0  # CurrentTime
    assert x11.XSendEvent(display, e.xclient.window, 0, 0, ctypes.byref(e))
    x11.XSync(display, 0)
    x11.XCloseDisplay(display)
