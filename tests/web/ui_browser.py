#!/usr/bin/env python3
"""Drives headless Chromium through the status UI of a running controller.

Started by tests/web/ui_browser_test.cc, which runs the controller (moto, a real git
repository) and a stand-in for the operator API. Talks the DevTools protocol over
--remote-debugging-pipe (file descriptors 3 and 4, NUL-separated JSON), so it needs the
standard library only. Exits 0 when every check passed, 1 with the reason otherwise.

usage: ui_browser.py CHROMIUM BASE_URL REPOSITORY_DIR SCREENSHOT_DIR
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time

DESKTOP = (1280, 900, False)
PHONE = (390, 844, True)


class Failure(Exception):
    pass


class Browser:
    """One Chromium process and one page, driven over the DevTools pipe."""

    def __init__(self, chromium, profile):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def child_fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.process = subprocess.Popen(
            [chromium, '--headless', '--remote-debugging-pipe', '--no-sandbox',
             '--disable-gpu', '--no-first-run', '--no-default-browser-check',
             '--disable-extensions', '--user-data-dir=' + profile, 'about:blank'],
            preexec_fn=child_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b''
        self.next_id = 0
        self.events = []
        self.dialogs = []
        target = self.call('Target.createTarget', {'url': 'about:blank'})['targetId']
        self.session = self.call('Target.attachToTarget',
                                 {'targetId': target, 'flatten': True})['sessionId']
        self.page('Page.enable')
        self.page('Runtime.enable')

    def close(self):
        try:
            self.call('Browser.close')
        except Exception:  # already gone
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _read_message(self, deadline):
        while b'\0' not in self.buffer:
            if time.monotonic() > deadline:
                raise Failure('Chromium did not answer in time')
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                raise Failure('Chromium closed the DevTools pipe')
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b'\0', 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        request = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            request['sessionId'] = session
        os.write(self.to_child, json.dumps(request).encode() + b'\0')
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get('id') == self.next_id:
                if 'error' in message:
                    raise Failure('%s: %s' % (method, message['error']))
                return message.get('result', {})
            self._event(message)

    def _event(self, message):
        method = message.get('method', '')
        if method == 'Page.javascriptDialogOpening':
            # An alert() means text from the repository ran as script: the worst failure.
            self.dialogs.append(message['params'].get('message', ''))
            request = {'id': 0, 'sessionId': self.session, 'method': 'Page.handleJavaScriptDialog',
                       'params': {'accept': True}}
            os.write(self.to_child, json.dumps(request).encode() + b'\0')
        self.events.append(method)

    def page(self, method, params=None):
        return self.call(method, params, session=self.session)

    def evaluate(self, expression):
        result = self.page('Runtime.evaluate', {'expression': expression, 'returnByValue': True,
                                                'awaitPromise': True})
        if 'exceptionDetails' in result:
            raise Failure('script failed: %s: %s' % (expression, result['exceptionDetails']))
        return result['result'].get('value')

    def wait_for(self, expression, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        raise Failure('timed out waiting for ' + what + '; page text: ' +
                      str(self.evaluate('document.body.innerText'))[:2000])

    def open(self, url, size):
        self.resize(size)
        self.page('Page.navigate', {'url': url})
        self.wait_for('document.readyState === "complete"', 'the page to load ' + url)

    def resize(self, size):
        width, height, mobile = size
        self.page('Emulation.setDeviceMetricsOverride',
                  {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': mobile})

    def click(self, selector):
        """A real mouse click in the middle of the element (scrolled into view)."""
        box = self.evaluate(
            '(() => { const e = document.querySelector(%s); if (!e) return null;'
            ' e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();'
            ' return [r.x + r.width / 2, r.y + r.height / 2]; })()' % json.dumps(selector))
        if not box:
            raise Failure('nothing to click at ' + selector)
        for kind in ('mousePressed', 'mouseReleased'):
            self.page('Input.dispatchMouseEvent', {'type': kind, 'x': box[0], 'y': box[1],
                                                   'button': 'left', 'clickCount': 1})

    def type_into(self, selector, text):
        self.evaluate('document.querySelector(%s).focus()' % json.dumps(selector))
        self.evaluate('document.querySelector(%s).value = ""' % json.dumps(selector))
        self.page('Input.insertText', {'text': text})

    def screenshot(self, path):
        metrics = self.page('Page.getLayoutMetrics')
        size = metrics.get('cssContentSize') or metrics['contentSize']
        shot = self.page('Page.captureScreenshot', {
            'format': 'png', 'captureBeyondViewport': True,
            'clip': {'x': 0, 'y': 0, 'width': size['width'], 'height': size['height'],
                     'scale': 1}})
        with open(path, 'wb') as out:
            out.write(base64.b64decode(shot['data']))


def text_of(browser, selector):
    return browser.evaluate('(document.querySelector(%s) || {}).textContent || ""'
                            % json.dumps(selector))


def check_no_injection(browser, where):
    """Repository text was rendered as text: no element of its making, no alert."""
    images = browser.evaluate('document.querySelectorAll("img").length')
    scripts = browser.evaluate('[...document.scripts].map(s => s.src)')
    if images:
        raise Failure('%s: an <img> element was created from repository text' % where)
    if len(scripts) != 1 or not scripts[0].endswith('/ui/app.js'):
        raise Failure('%s: unexpected scripts %s' % (where, scripts))
    if browser.dialogs:
        raise Failure('%s: a dialog opened: %s' % (where, browser.dialogs))


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME='Ada "O\'Neil" & Co',
               GIT_AUTHOR_EMAIL='ada@example.com', GIT_COMMITTER_NAME='ecsync test',
               GIT_COMMITTER_EMAIL='test@example.com')
    return subprocess.run(['git', '-C', repo] + list(args), check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def run(chromium, base, repo, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(chromium, profile)
        try:
            overview(browser, base, repo, out_dir)
            project_page(browser, base, out_dir)
        finally:
            browser.close()


def overview(browser, base, repo, out_dir):
    browser.open(base + '/', DESKTOP)
    browser.wait_for('document.querySelectorAll("#projects tbody tr").length === 2',
                     'both projects in the overview')
    browser.wait_for('document.body.innerText.includes("<img src=x onerror=alert(1)>")',
                     'the service name as text')
    browser.wait_for('document.body.innerText.includes("<script>alert(1)</script>")',
                     'the commit message as text')
    check_no_injection(browser, 'overview')
    # The filter: typing narrows the table to the matching project.
    browser.type_into('#filter', 'shop/web')
    browser.wait_for('document.querySelectorAll("#projects tbody tr").length === 1',
                     'the text filter to leave one project')
    browser.type_into('#filter', '')
    browser.evaluate('document.querySelector("#filter").dispatchEvent(new Event("input"))')
    browser.evaluate('(() => { const s = document.querySelector("#condition");'
                     ' s.value = "Stalled"; s.dispatchEvent(new Event("change")); })()')
    browser.wait_for('document.querySelectorAll("#projects tbody tr").length === 1 && '
                     'document.querySelector("#projects tbody").innerText.includes("shop/bad")',
                     'the condition filter to leave the stalled project')
    browser.evaluate('(() => { const s = document.querySelector("#condition");'
                     ' s.value = ""; s.dispatchEvent(new Event("change")); })()')

    # A deploy arrives live: a new commit, picked up by polling, shows without a reload.
    browser.evaluate('window.__sameDocument = 42')
    with open(os.path.join(repo, 'compose.yaml'), 'w') as compose:
        compose.write('services:\n  web:\n    image: nginx:1.27-alpine\n'
                      '    deploy:\n      replicas: 2\n')
    git(repo, 'commit', '-q', '-am', 'two replicas')
    sha = git(repo, 'rev-parse', 'HEAD')[:7]
    browser.wait_for('document.querySelector("#projects tbody").innerText.includes("%s") && '
                     'document.querySelector("#projects tbody").innerText.includes('
                     '"two replicas")' % sha, 'the new revision to arrive live', timeout=90)
    browser.wait_for('[...document.querySelectorAll("#projects tbody tr")].some(r =>'
                     ' r.innerText.includes("shop/web") && r.innerText.includes("Ready")'
                     ' && r.innerText.includes("UPDATE_COMPLETE"))',
                     'the update to finish live', timeout=90)
    browser.wait_for('document.querySelector("#projects tbody").innerText.includes('
                     '"Ada \\"O\'Neil\\" & Co")', 'the author as text')
    if browser.evaluate('window.__sameDocument') != 42:
        raise Failure('the overview reloaded instead of updating in place')
    check_no_injection(browser, 'overview after the update')
    browser.evaluate('document.activeElement.blur()')
    browser.screenshot(os.path.join(out_dir, 'overview-desktop.png'))
    browser.resize(PHONE)
    browser.screenshot(os.path.join(out_dir, 'overview-phone.png'))


def press_refused(browser, token, code, reason):
    """Presses reconcile with `token`; the API must refuse it with `code` saying `reason`."""
    browser.type_into('#token', token)
    browser.click('#token-form button[type=submit]')
    browser.wait_for('!document.querySelector("#actions").hidden', 'the operator buttons')
    browser.click('[data-action=reconcile]')
    browser.wait_for('document.querySelector("#action-result").textContent.includes("%s")' % code,
                     'the refusal (%s) of token %s' % (code, token))
    if reason not in text_of(browser, '#action-result'):
        raise Failure('the refusal does not carry the API error: ' +
                      text_of(browser, '#action-result'))
    browser.click('#token-clear')
    browser.wait_for('document.querySelector("#actions").hidden', 'the buttons to hide again')


def project_page(browser, base, out_dir):
    browser.open(base + '/projects/shop%2Fweb', DESKTOP)
    browser.wait_for('document.querySelectorAll("#p-resources tbody tr").length > 0',
                     'the stack resources')
    browser.wait_for('document.querySelectorAll("#p-events tbody tr").length > 0',
                     'the stack events')
    browser.wait_for('document.querySelectorAll("#p-runs tbody tr").length >= 2', 'the runs')
    browser.wait_for('document.querySelectorAll("#p-changes tbody tr").length > 0',
                     'the last change set')
    browser.wait_for('document.querySelector("#p-diff").textContent.includes("DesiredCount")',
                     'the template diff')
    check_no_injection(browser, 'project page')
    if not browser.evaluate('document.querySelector("#actions").hidden'):
        raise Failure('operator buttons are shown without a token')

    # A token the API does not know, then a read-only one: the buttons show, and each press
    # answers with the API's refusal and its reason.
    press_refused(browser, 'not-a-valid-token', '401', 'not valid')
    press_refused(browser, 'read-token', '403', 'operate')

    # The operate token: accepted.
    browser.type_into('#token', 'operate-token')
    browser.click('#token-form button[type=submit]')
    browser.click('[data-action=reconcile]')
    browser.wait_for('document.querySelector("#action-result").textContent.includes("accepted")',
                     'the reconcile to be accepted')
    if browser.evaluate('sessionStorage.getItem("ecsync.token")') != 'operate-token':
        raise Failure('the token is not kept in sessionStorage')
    browser.screenshot(os.path.join(out_dir, 'project-desktop.png'))
    browser.resize(PHONE)
    browser.screenshot(os.path.join(out_dir, 'project-phone.png'))

    # The stalled project: its reason quotes the service name, as text.
    browser.open(base + '/projects/' + 'shop%2Fbad', DESKTOP)
    browser.wait_for('document.querySelector("#p-summary").innerText.includes('
                     '"<img src=x onerror=alert(1)>")', 'the stalled reason as text')
    check_no_injection(browser, 'stalled project page')


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(*sys.argv[1:])
    except Failure as failure:
        print('FAILED: %s' % failure)
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
