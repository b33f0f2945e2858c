/* Charterdesk web chat: one tag on a homepage opens a help-desk panel.
 *   <script src="https://desk.example.org/widget.js" data-desk="ansim" async></script>
 * Plain JavaScript, no build step. Every text from the desk, staff or the visitor is put on the page
 * with textContent, never as HTML. The visitor's token lives in this page's localStorage and travels
 * in the Authorization header only (no cookies). Optional attributes: data-lang (else <html lang>,
 * else the browser's language).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__charterdeskWidget) { return; }
  window.__charterdeskWidget = true;

  var base = new URL(script.src, document.baseURI).origin;
  var storeKey = "charterdesk:" + base + ":" + (script.getAttribute("data-desk") || "desk");
  var asked = script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "";
  var lang = asked.split("-")[0].toLowerCase();
  var words = {};
  var lastId = 0;
  var shown = {};
  var streaming = false;
  var retryDelay = 1000;
  var unsent = null;  // {text, id} of a message whose send failed
  var ui = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function token() {
    try { return window.localStorage.getItem(storeKey); } catch (e) { return null; }
  }

  function keepToken(value) {
    try { window.localStorage.setItem(storeKey, value); } catch (e) { /* private mode: this page view only */ }
    ui.memoryToken = value;
  }

  function currentToken() { return token() || ui.memoryToken || null; }

  function api(path, options) {
    options = options || {};
    var headers = options.headers || {};
    var held = currentToken();
    if (held) { headers.Authorization = "Bearer " + held; }
    if (options.body) { headers["Content-Type"] = "application/json"; }
    var separator = path.indexOf("?") < 0 ? "?" : "&";
    return fetch(base + path + separator + "lang=" + encodeURIComponent(lang), {
      method: options.method || "GET", headers: headers, body: options.body, credentials: "omit",
      mode: "cors", cache: "no-store", signal: options.signal
    });
  }

  function ensureVisitor() {
    if (currentToken()) { return Promise.resolve(); }
    return api("/web/visitors", { method: "POST" }).then(function (response) {
      if (!response.ok) { return refusal(response); }
      return response.json().then(function (body) { keepToken(body.token); });
    });
  }

  function refusal(response) {
    return response.json().then(function (body) {
      throw refused(body && body.error ? body.error : words.error_bad_request);
    }, function () { throw refused(words.error_unreached); });  // not ours (a proxy's page): stored or not, unknown
  }

  // The desk's own refusals carry its words in the visitor's language; anything else (the browser's "Failed to
  // fetch" while the desk restarts, a network down) is shown as `fallback`, never as the browser's English.
  function refused(message) {
    var error = new Error(message);
    error.refused = true;
    return error;
  }

  function failure(error, fallback) {
    return error && error.refused ? error.message : fallback;
  }

  function say(text) {
    ui.status.textContent = "";
    // A fresh node, so screen readers announce a repeated message again.
    ui.status.appendChild(el("span", "", text || ""));
  }

  function addLine(line) {
    if (shown[line.id]) { return; }
    shown[line.id] = true;
    if (typeof line.id === "number") { lastId = Math.max(lastId, line.id); }
    var item = el("div", "cd-line cd-" + (line.author === "visitor" ? "visitor" : "desk"));
    item.appendChild(el("span", "cd-who", line.author === "visitor" ? words.you : words.desk));
    item.appendChild(el("p", "cd-text", line.text));
    (line.buttons || []).forEach(function (row) {
      var group = el("div", "cd-buttons");
      row.forEach(function (button) {
        if (!button || typeof button.data !== "string") { return; }
        var press = el("button", "cd-press", button.text);
        press.type = "button";
        press.addEventListener("click", function () { pressButton(button.data, group); });
        group.appendChild(press);
      });
      item.appendChild(group);
    });
    ui.log.appendChild(item);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function readFeed() {
    return api("/web/feed?after=" + lastId).then(function (response) {
      if (response.status === 401) { forgetToken(); return; }
      if (!response.ok) { return; }
      return response.json().then(function (body) { body.messages.forEach(addLine); });
    });
  }

  function forgetToken() {
    try { window.localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
    ui.memoryToken = null;
  }

  // Server-sent events read with fetch, so the token goes in a header, never in the URL.
  function stream() {
    if (streaming || !currentToken()) { return; }
    streaming = true;
    var headers = { "Last-Event-ID": String(lastId) };
    api("/web/stream", { headers: headers }).then(function (response) {
      if (!response.ok || !response.body) { throw new Error("stream " + response.status); }
      retryDelay = 1000;
      if (ui.status.textContent === words.offline) { say(""); }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { throw new Error("stream ended"); }
          buffer += decoder.decode(chunk.value, { stream: true });
          var events = buffer.split("\n\n");
          buffer = events.pop();
          events.forEach(function (event) {
            var data = event.split("\n").filter(function (l) { return l.indexOf("data: ") === 0; })
              .map(function (l) { return l.slice(6); }).join("\n");
            if (data) { addLine(JSON.parse(data)); }
          });
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      streaming = false;
      say(words.offline);
      // Whatever came meanwhile is read on reconnecting (Last-Event-ID); nothing is lost.
      window.setTimeout(function () { readFeed().then(stream, stream); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function newId() {
    return Date.now() * 1000 + Math.floor(Math.random() * 1000);
  }

  function send(text) {
    // The same text sent again after a failure keeps its id: if the first try did reach the desk, the second is
    // recognised as the same message and answered once.
    var id = unsent && unsent.text === text ? unsent.id : newId();
    unsent = { text: text, id: id };
    ui.send.disabled = true;
    say(words.sending);
    return ensureVisitor().then(function () {
      return api("/web/messages", { method: "POST", body: JSON.stringify({ id: id, text: text, lang: lang }) });
    }).then(function (response) {
      if (!response.ok) { return refusal(response); }
      unsent = null;
      ui.input.value = "";
      say("");
      stream();
      return response.json().then(function (body) {
        // An anonymous complaint is not kept with this visitor: show the panel's own copy of it.
        if (body.kept === false) { addLine({ id: "local-" + id, author: "visitor", text: text, buttons: [] }); }
        return readFeed();
      });
    }).catch(function (error) {
      say(failure(error, words.error_unreached));
    }).then(function () { ui.send.disabled = false; ui.input.focus(); });
  }

  function pressButton(data, group) {
    var buttons = group.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    api("/web/presses", { method: "POST", body: JSON.stringify({ id: String(newId()), data: data, lang: lang }) })
      .then(function (response) {
        if (!response.ok) { return refusal(response); }
        return response.json().then(function (body) { if (body.toast) { say(body.toast); } return readFeed(); });
      }).catch(function (error) {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        say(failure(error, words.error_unreached));
      });
  }

  function post(path, body) {
    say(words.sending);
    return ensureVisitor().then(function () {
      body.id = newId();
      body.lang = lang;
      return api(path, { method: "POST", body: JSON.stringify(body) });
    }).then(function (response) {
      if (!response.ok) { return refusal(response); }
      say("");
      stream();
      return readFeed().then(function () { return true; });
    }).catch(function (error) {
      say(failure(error, words.error_unreached));
      return false;
    });
  }

  // The visitor's data comes back as the response itself and is saved as a file; it is never stored for them.
  function downloadMyData() {
    say(words.sending);
    ensureVisitor().then(function () {
      return api("/web/mydata", { method: "POST", body: JSON.stringify({ id: newId(), lang: lang }) });
    }).then(function (response) {
      if (!response.ok) { return refusal(response); }
      say("");
      if (response.status === 200) {
        var name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1];
        return response.blob().then(function (blob) {
          var link = el("a");
          link.href = URL.createObjectURL(blob);
          link.download = name || "mydata.json";
          document.body.appendChild(link);
          link.click();
          link.remove();
          window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
        }).then(readFeed);
      }
      return readFeed();
    }).catch(function (error) { say(failure(error, words.error_unreached)); });
  }

  function shortcut(name, label) {
    var button = el("button", "cd-shortcut", label);
    button.type = "button";
    button.addEventListener("click", function () {
      if (name === "mydata") { downloadMyData(); } else { post("/web/commands", { name: name }); }
    });
    return button;
  }

  function lookupForm() {
    var details = el("details", "cd-lookup");
    details.appendChild(el("summary", "", words.lookup));
    var form = el("form", "cd-lookup-form");
    var fields = [["cd-number", words.lookup_number, "text"], ["cd-code", words.lookup_code, "text"]];
    var inputs = fields.map(function (field) {
      var label = el("label", "cd-label", field[1]);
      label.htmlFor = field[0];
      var input = el("input", "cd-field");
      input.id = field[0];
      input.type = field[2];
      input.autocomplete = "off";
      form.appendChild(label);
      form.appendChild(input);
      return input;
    });
    inputs[1].inputMode = "numeric";
    var go = el("button", "cd-send", words.lookup_go);
    go.type = "submit";
    form.appendChild(go);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      post("/web/lookup", { number: inputs[0].value, code: inputs[1].value }).then(function (done) {
        if (done) { inputs[1].value = ""; }
      });
    });
    details.appendChild(form);
    return details;
  }

  function emailForm() {
    var details = el("details", "cd-lookup");
    details.appendChild(el("summary", "", words.email));
    var form = el("form", "cd-lookup-form");
    var label = el("label", "cd-label", words.email_address);
    label.htmlFor = "cd-email";
    var input = el("input", "cd-field");
    input.id = "cd-email";
    input.type = "email";
    input.autocomplete = "email";
    var save = el("button", "cd-send", words.email_save);
    save.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(save);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      post("/web/email", { email: input.value });
    });
    details.appendChild(form);
    return details;
  }

  function open() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.input.focus();
    if (currentToken()) { readFeed().then(stream, stream); }
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function build() {
    var root = el("div", "cd-root");
    root.setAttribute("lang", lang);
    ui.launcher = el("button", "cd-launcher", words.open);
    ui.launcher.type = "button";
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.setAttribute("aria-controls", "cd-panel");

    ui.panel = el("section", "cd-panel");
    ui.panel.id = "cd-panel";
    ui.panel.hidden = true;
    ui.panel.setAttribute("aria-labelledby", "cd-title");
    var header = el("div", "cd-header");
    var title = el("h2", "cd-title", words.title);
    title.id = "cd-title";
    var closer = el("button", "cd-close", "×");
    closer.type = "button";
    closer.setAttribute("aria-label", words.close);
    header.appendChild(title);
    header.appendChild(closer);

    ui.log = el("div", "cd-log");
    ui.log.setAttribute("role", "log");
    ui.log.setAttribute("aria-live", "polite");
    ui.log.setAttribute("aria-label", words.log);
    ui.log.tabIndex = 0;

    var form = el("form", "cd-form");
    var label = el("label", "cd-label", words.label);
    label.htmlFor = "cd-input";
    ui.input = el("textarea", "cd-input");
    ui.input.id = "cd-input";
    ui.input.rows = 3;
    ui.input.maxLength = 4096;
    ui.send = el("button", "cd-send", words.send);
    ui.send.type = "submit";
    ui.status = el("p", "cd-status");
    ui.status.setAttribute("role", "status");
    form.appendChild(label);
    form.appendChild(ui.input);
    form.appendChild(ui.send);

    var shortcuts = el("div", "cd-shortcuts");
    shortcuts.setAttribute("role", "group");
    shortcuts.setAttribute("aria-label", words.actions);
    shortcuts.appendChild(shortcut("status", words.status));
    shortcuts.appendChild(shortcut("anonymous", words.anonymous));
    shortcuts.appendChild(shortcut("mydata", words.mydata));
    shortcuts.appendChild(shortcut("forget", words.forget));

    ui.panel.appendChild(header);
    ui.panel.appendChild(el("p", "cd-intro", words.intro));
    ui.panel.appendChild(ui.log);
    ui.panel.appendChild(form);
    ui.panel.appendChild(ui.status);
    ui.panel.appendChild(shortcuts);
    ui.panel.appendChild(lookupForm());
    if (ui.emailOffered) { ui.panel.appendChild(emailForm()); }
    root.appendChild(ui.panel);
    root.appendChild(ui.launcher);
    document.body.appendChild(root);

    ui.launcher.addEventListener("click", function () { if (ui.panel.hidden) { open(); } else { close(); } });
    closer.addEventListener("click", close);
    ui.panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { close(); } });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      if (!text.trim()) { say(words.error_empty); return; }
      send(text);
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  // A page the desk does not allow is refused its words (403), and then nothing is shown or loaded.
  function start() {
    fetch(base + "/web/texts?lang=" + encodeURIComponent(lang), { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("refused: " + response.status); }
        return response.json();
      })
      .then(function (body) {
        words = body.texts;
        lang = body.language;
        ui.emailOffered = body.email === true;
        var link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = base + "/web/widget.css";
        document.head.appendChild(link);
        build();
        if (currentToken()) { readFeed().then(stream, stream); }
      });
  }

  if (document.body) { start(); } else { document.addEventListener("DOMContentLoaded", start); }
}());
