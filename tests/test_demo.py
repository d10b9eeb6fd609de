"""What `make run` does: the demo weblog behind `mtpy serve`, and the printed curl
line really pings it."""

import os
import shlex
import shutil
import subprocess
import sys

from conftest import ROOT, free_port, http, wait_for_port

ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))


def mtpy(*args):
    return subprocess.run([sys.executable, "-m", "mtpy.cli"] + list(args), capture_output=True,
                          text=True, timeout=60, env=ENV, check=True).stdout


def test_demo_serves_and_printed_curl_pings(tmp_path):
    port = free_port()
    config = str(tmp_path / "demo" / "mt.cfg")
    archives = str(tmp_path / "archives")
    first = mtpy("--config", config, "demo", "--port", str(port), "--archives", archives).splitlines()
    lines = mtpy("--config", config, "demo", "--port", str(port), "--archives", archives).splitlines()
    # The second start refreshes the same weblog: one blog, same entries.
    assert mtpy("--config", config, "blog", "list").count("\n") == 1
    server = subprocess.Popen([sys.executable, "-m", "mtpy.cli", "--config", config, "serve", "--port", str(port)],
                              env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        wait_for_port(port, server)
        curl_line = next(line.strip() for line in lines if line.strip().startswith("curl "))
        command = shlex.split(curl_line)
        if shutil.which("curl"):
            answer = subprocess.run(command + ["--max-time", "30", "-s"], capture_output=True, text=True,
                                    timeout=60).stdout
        else:  # the same request without curl
            answer = http(command[-1], data=command[2].encode()).text
        assert "<error>0</error>" in answer
        ping_url = command[-1]
        assert "http://example.com/post" in http(ping_url + "?__mode=rss").text
        item_id = ping_url.rsplit("/", 1)[1]
        assert "http://example.com/post" in http("http://127.0.0.1:%d/%s.xml" % (port, item_id)).text
        view = next(line for line in lines if "__mode=view" in line).split()[-1]
        page = http(view)
        assert page.status == 200 and 'href="http://example.com/post"' in page.text
        # The printed mt.cgi line logs in, as the same password at each start.
        manage = next(line for line in lines if line.startswith("Manage the weblog: "))
        assert manage == [line for line in first if line.startswith("Manage")][0]
        admin_url, password = manage.split()[3], manage.rstrip(")").split()[-1]
        from support.client import CMSClient
        client = CMSClient("http://127.0.0.1:%d/" % port, script=admin_url.split("/", 3)[3])
        client.log_in("Melody", password)
        assert "mtpy demo weblog" in client.get("dashboard").text
    finally:
        server.terminate()
        server.wait(timeout=10)
