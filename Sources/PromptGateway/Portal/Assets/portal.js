// promptc's portal: Try it. Builds the request from the form, calls the endpoint from the
// browser (plain or streamed), and shows the status, the answer, x-promptc-model and
// x-promptc-attempts, and on errors the details next to their fields. No framework.
"use strict";
(function () {
  const form = document.getElementById("try-form");
  if (!form) return;
  const result = document.getElementById("try-result");
  const statusEl = document.getElementById("try-status");
  const modelEl = document.getElementById("try-model");
  const attemptsEl = document.getElementById("try-attempts");
  const bodyEl = document.getElementById("try-body");

  function clearErrors() {
    for (const field of form.querySelectorAll(".field")) {
      field.classList.remove("invalid");
      const error = field.querySelector(".field-error");
      if (error) { error.textContent = ""; error.hidden = true; }
    }
  }

  function showFieldError(name, message) {
    const field = form.querySelector('.field[data-field="' + CSS.escape(name) + '"]');
    if (!field) return false;
    field.classList.add("invalid");
    const error = field.querySelector(".field-error");
    error.textContent = error.textContent ? error.textContent + "; " + message : message;
    error.hidden = false;
    return true;
  }

  // The input as the endpoint takes it; a field left empty is not sent.
  function readInput() {
    const input = {};
    for (const element of form.querySelectorAll("[data-kind]")) {
      const kind = element.dataset.kind;
      if (kind === "boolean") { input[element.name] = element.checked; continue; }
      const text = element.value;
      if (text === "") continue;
      if (kind === "integer") input[element.name] = Number.parseInt(text, 10);
      else if (kind === "number") input[element.name] = Number(text);
      else if (kind === "json") {
        try { input[element.name] = JSON.parse(text); }
        catch (error) { throw { field: element.name, message: "is not valid JSON: " + error.message }; }
      } else input[element.name] = text;
    }
    return input;
  }

  function show(status, model, attempts, text, ok) {
    result.hidden = false;
    result.className = "result " + (ok ? "ok" : "error");
    statusEl.textContent = String(status);
    modelEl.textContent = model || "–";
    attemptsEl.textContent = attempts || "–";
    bodyEl.textContent = text;
  }

  function showError(status, model, attempts, body) {
    show(status, model, attempts, JSON.stringify(body, null, 2), false);
    const details = (body && body.error && body.error.details) || [];
    for (const detail of details) {
      const name = String(detail.path || "").split("/")[1];
      if (name) showFieldError(decodeURIComponent(name.replace(/~1/g, "/").replace(/~0/g, "~")), detail.message);
    }
  }

  // Server-Sent Events from a fetch body: partial snapshots as they come, then result or error.
  async function readStream(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let model = response.headers.get("x-promptc-model");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (!data) continue;
        const payload = JSON.parse(data);
        if (event === "partial") show(response.status, model, "…", JSON.stringify(payload, null, 2) + "\n(streaming…)", true);
        else if (event === "fallback") model = payload.to;
        else if (event === "result") show(response.status, payload.model, String(payload.attempts), JSON.stringify(payload.output, null, 2), true);
        else if (event === "error") showError(payload.error && payload.error.status || "error", model, "", payload);
      }
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    clearErrors();
    let input;
    try { input = readInput(); }
    catch (problem) { showFieldError(problem.field, problem.message); return; }
    const stream = document.getElementById("try-stream").checked;
    const key = document.getElementById("try-key").value;
    const headers = { "content-type": "application/json" };
    if (stream) headers.accept = "text/event-stream";
    if (key) headers.authorization = "Bearer " + key;
    show("…", "", "", "", true);
    try {
      const response = await fetch(form.dataset.path, { method: "POST", headers: headers, body: JSON.stringify(input) });
      const model = response.headers.get("x-promptc-model");
      const attempts = response.headers.get("x-promptc-attempts");
      if (response.ok && (response.headers.get("content-type") || "").startsWith("text/event-stream")) {
        await readStream(response);
        return;
      }
      const text = await response.text();
      let body;
      try { body = JSON.parse(text); } catch (_) { body = text; }
      if (response.ok) show(response.status, model, attempts, JSON.stringify(body, null, 2), true);
      else showError(response.status, model, attempts, body);
    } catch (error) {
      show("no answer", "", "", String(error), false);
    }
  });
})();
