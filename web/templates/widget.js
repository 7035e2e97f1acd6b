/* govsearch widget: a search box and results inside any page.
 *
 *   <div data-govsearch data-agency="阳城县人民政府" data-size="5"
 *        data-results-page="https://search.example.gov.cn/search"></div>
 *   <script src="https://search.example.gov.cn/embed.js" async></script>
 *
 * Options (all optional): data-agency, data-topic (fixed filters; any facet's parameter
 * works, data-year too), data-size (1-20, default
 * 5), data-results-page (where "all results" links to; default the service's own page),
 * data-query (a first search to run), data-from and data-to (a fixed range of 发布日期,
 * YYYY-MM-DD), data-scope (all, title or number: fixed; otherwise the box offers the choice). Everything is drawn inside a shadow root, so the
 * host page's styles and the widget's do not touch. The API sends passages and titles as
 * escaped HTML with <mark>; every other value is inserted as text.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/embed.js", location.href).origin;
  // The service's limit, filled in when it serves this script: a longer query is refused.
  var MAX_QUERY_CHARS = {{ max_query_chars }};
  // The service's facets, [parameter, label], in the order the widget shows them.
  var FACETS = {{ facets | tojson }};
  // Fixed filters beside the facets ([parameter] of the date range), and the scopes [value, label].
  var FILTERS = {{ filters | tojson }};
  var SCOPES = {{ scopes | tojson }};

{% include "combobox.js" %}

  var STYLE = [
    ":host { all: initial; display: block; font: 15px/1.6 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif; color: #1f2328; }",
    "form { display: flex; gap: 0; margin: 0 0 .6em; }",
    "input { flex: 1; min-width: 0; padding: .45em .6em; font: inherit; border: 1px solid #8c959f; border-radius: 4px 0 0 4px; }",
    "button { padding: .45em 1em; font: inherit; border: 0; background: #b4232a; color: #fff; border-radius: 0 4px 4px 0; cursor: pointer; }",
    "select { font: inherit; border: 1px solid #8c959f; border-left: 0; padding: 0 .3em; background: #fff; }",
    "button.link { background: none; color: #0b57d0; padding: 0 .2em; border-radius: 0; }",
    "button.link[aria-pressed=true] { font-weight: 700; color: #1f2328; }",
    "ol { list-style: none; padding: 0; margin: 0; }",
    "li.hit { margin: 0 0 1em; }",
    "h3 { font-size: 1.05em; margin: 0; }",
    "a { color: #0b57d0; }",
    ".meta, .summary, .facets, .hot { color: #57606a; font-size: .9em; margin: .1em 0; }",
    ".passage { margin: .2em 0; }",
    "mark { background: #fff1a8; color: inherit; }",
    ".error { color: #b4232a; }",
    ".hint { color: #57606a; font-size: .85em; }",
    ".partial-notice { margin: .2em 0; padding: .1em .5em; border-left: 3px solid #b4232a; }",
    ".partial-notice small { display: block; color: #57606a; }",
    ".pager { display: flex; gap: 1em; }",
    ".combobox { position: relative; flex: 1; display: flex; min-width: 0; }",
    ".suggestions { position: absolute; top: 100%; left: 0; right: 0; z-index: 10; margin: 0; padding: .2em 0; list-style: none; background: #fff; border: 1px solid #8c959f; box-shadow: 0 4px 10px rgba(0,0,0,.12); }",
    ".suggestions[hidden] { display: none; }",
    ".suggestions li { display: flex; justify-content: space-between; gap: 1em; padding: .25em .6em; cursor: pointer; }",
    ".suggestions li[aria-selected=true], .suggestions li:hover { background: #e8f0fe; }",
    ".suggestions .kind { color: #57606a; font-size: .85em; }"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function query(text) {
    return (text || "").trim().slice(0, MAX_QUERY_CHARS);
  }

  // A new search: no facet value chosen yet.
  function fresh(text) {
    var state = { q: query(text), page: 1 };
    FACETS.forEach(function (facet) { state[facet[0]] = ""; });
    return state;
  }

  function Widget(host) {
    this.host = host;
    this.fixed = {};
    FACETS.forEach(function (facet) { this.fixed[facet[0]] = host.dataset[facet[0]] || ""; }, this);
    FILTERS.forEach(function (name) { this.fixed[name] = host.dataset[name] || ""; }, this);
    this.fixedScope = host.dataset.scope || "";
    this.size = Math.min(20, Math.max(1, parseInt(host.dataset.size || "5", 10) || 5));
    this.resultsPage = host.dataset.resultsPage || base + "/search";
    this.state = fresh(host.dataset.query);
    this.root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    this.root.appendChild(el("style", {}, STYLE));
    this.form = el("form", { role: "search" });
    var label = el("label", { "for": "gs-q", style: "position:absolute;left:-9999px" }, "检索词");
    this.input = el("input", { id: "gs-q", type: "search", name: "q", maxlength: MAX_QUERY_CHARS, placeholder: "搜索政府文件", autocomplete: "off" });
    this.input.value = this.state.q;
    this.suggestions = el("ul", { id: "gs-suggestions", "class": "suggestions", "aria-label": "检索建议", hidden: "" });
    var box = el("div", { "class": "combobox" });
    box.appendChild(this.input);
    box.appendChild(this.suggestions);
    this.form.appendChild(label);
    this.form.appendChild(box);
    if (!this.fixedScope) {
      this.form.appendChild(el("label", { "for": "gs-scope", style: "position:absolute;left:-9999px" }, "检索范围"));
      this.scope = el("select", { id: "gs-scope", name: "scope" });
      SCOPES.forEach(function (pair) { this.scope.appendChild(el("option", { value: pair[0] }, pair[1])); }, this);
      this.form.appendChild(this.scope);
    }
    this.form.appendChild(el("button", { type: "submit" }, "搜索"));
    this.output = el("div", { "aria-live": "polite" });
    this.root.appendChild(this.form);
    this.root.appendChild(this.output);
    var self = this;
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.state = fresh(self.input.value);
      self.search();
    });
    attachCombobox(this.input, this.suggestions, base + "/api/suggest", function (text) {
      self.state = fresh(text);
      self.search();
    });
    if (this.state.q) this.search();
    else this.hot();
  }

  // With no query yet, the hot searches: each one a button that runs it.
  Widget.prototype.hot = function () {
    var self = this;
    fetch(base + "/api/hot?limit=8", { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.ok || !body.queries.length || self.state.q) return;
        var box = el("div", { "class": "hot" }, "热门搜索：");
        body.queries.forEach(function (query) {
          var button = el("button", { type: "button", "class": "link" }, query.text);
          button.addEventListener("click", function () {
            self.input.value = query.text;
            self.state = fresh(query.text);
            self.search();
          });
          box.appendChild(button);
        });
        self.output.replaceChildren(box);
      })
      .catch(function () { /* no hot searches: the box alone still works */ });
  };

  Widget.prototype.params = function () {
    var p = new URLSearchParams({ q: this.state.q });
    FACETS.forEach(function (facet) {
      var value = this.fixed[facet[0]] || this.state[facet[0]];
      if (value) p.set(facet[0], value);
    }, this);
    FILTERS.forEach(function (name) { if (this.fixed[name]) p.set(name, this.fixed[name]); }, this);
    var scope = this.fixedScope || (this.scope ? this.scope.value : "");
    if (scope && scope !== SCOPES[0][0]) p.set("scope", scope);
    return p;
  };

  Widget.prototype.search = function () {
    var self = this;
    var p = this.params();
    p.set("size", String(this.size));
    p.set("page", String(this.state.page));
    this.output.textContent = "正在检索…";
    fetch(base + "/api/search?" + p.toString(), { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (body) { self.render(body); })
      .catch(function () { self.unreachable(); });
  };

  // The API refused to answer this page, or the service is down. A request the page cannot
  // read (no-cors) still tells them apart: it succeeds when the service is up, so this
  // site's origin is missing from the service's cors_origins setting; the portal's editor
  // is told so, the details going to the console.
  Widget.prototype.unreachable = function () {
    var self = this;
    var down = el("p", { "class": "error" }, "暂时无法检索，请稍后再试。");
    fetch(base + "/healthz", { mode: "no-cors", credentials: "omit" })
      .then(function () {
        console.error("govsearch: " + base + " does not allow this page's origin (" + location.origin +
          ") to call its API: add it to the service's cors_origins setting (GOVSEARCH_CORS_ORIGINS).");
        self.output.replaceChildren(down, el("p", { "class": "hint" },
          "网站管理员：请在检索服务的 cors_origins 设置（GOVSEARCH_CORS_ORIGINS）中加入本站地址 " + location.origin + "。"));
      })
      .catch(function () { self.output.replaceChildren(down); });
  };

  Widget.prototype.render = function (body) {
    var out = [];
    if (!body.ok) {
      // The reader gets the Chinese sentence; the portal's developer the English one.
      console.error("govsearch: " + body.error);
      this.output.replaceChildren(el("p", { "class": "error" }, body.message || "暂时无法检索，请稍后再试。"));
      return;
    }
    out.push(el("p", { "class": "summary" }, "找到 " + body.total + " 份文件"));
    if (body.partial) out.push(this.partialNotice(body.missing_shards));
    if (body.pinyin) out.push(this.pinyinNotice(body.pinyin));
    out.push(this.facets(body.facets));
    var list = el("ol", { "class": "hits" });
    body.hits.forEach(function (hit) {
      var item = el("li", { "class": "hit" });
      var heading = el("h3");
      var title = el("a", { href: hit.url, target: "_top" });
      title.innerHTML = hit.title_html; // escaped by the service; only <mark> is markup
      heading.appendChild(title);
      item.appendChild(heading);
      var meta = [hit.agency, hit.doc_number, hit.date || hit.year, hit.topic, hit.kind].filter(function (value, at, all) { return value && all.indexOf(value) === at; });
      if (hit.matched === "meaning") meta.push("按语义匹配"); // found by meaning, not by the words
      item.appendChild(el("p", { "class": "meta" }, meta.join(" · ")));
      hit.passages.forEach(function (passage) {
        var p = el("p", { "class": "passage" });
        p.innerHTML = passage; // escaped by the service; only <mark> is markup
        item.appendChild(p);
      });
      list.appendChild(item);
    });
    out.push(list);
    if (!body.hits.length) out.push(el("p", { "class": "empty" }, "没有找到匹配的章节，试试更短的关键词。"));
    out.push(this.pager(body));
    var more = el("a", { href: this.resultsPage + "?" + this.params().toString(), target: "_top" }, "查看全部结果");
    var moreLine = el("p");
    moreLine.appendChild(more);
    out.push(moreLine);
    this.output.replaceChildren.apply(this.output, out);
  };

  // Some shards of a cluster did not answer: said plainly, their names for the operator.
  Widget.prototype.partialNotice = function (missing) {
    var line = el("p", { "class": "partial-notice" }, "部分分库暂未响应，结果可能不完整。");
    line.appendChild(el("small", {}, "未响应的分库：" + missing.join("、")));
    return line;
  };

  // Letters searched as the Chinese term they spell, with a way to search them as typed.
  Widget.prototype.pinyinNotice = function (pinyin) {
    var self = this;
    var line = el("p", { "class": "pinyin-notice" }, "已按拼音 " + pinyin.typed + " 搜索 " + pinyin.searched + "。");
    var asTyped = el("button", { type: "button", "class": "link" }, "仍按 " + pinyin.typed + " 搜索");
    asTyped.addEventListener("click", function () {
      self.state = fresh('"' + pinyin.typed + '"');
      self.input.value = self.state.q;
      self.search();
    });
    line.appendChild(asTyped);
    return line;
  };

  Widget.prototype.facets = function (facets) {
    var self = this;
    var box = el("div", { "class": "facets" });
    FACETS.forEach(function (pair) {
      var name = pair[0];
      if (self.fixed[name] || !facets[name] || !facets[name].length) return;
      var line = el("div", { "class": "facet facet-" + name }, pair[1] + "：");
      facets[name].slice(0, 6).forEach(function (value) {
        var button = el("button", { type: "button", "class": "link", "aria-pressed": String(value.selected) },
          value.value + " (" + value.count + ")");
        button.addEventListener("click", function () {
          self.state[name] = value.selected ? "" : String(value.value);
          self.state.page = 1;
          self.search();
        });
        line.appendChild(button);
      });
      box.appendChild(line);
    });
    return box;
  };

  Widget.prototype.pager = function (body) {
    var self = this;
    var nav = el("nav", { "class": "pager", "aria-label": "分页" });
    var last = Math.max(1, Math.ceil(body.total_hits / body.size));
    function go(page, text, rel) {
      var b = el("button", { type: "button", "class": "link", rel: rel }, text);
      b.addEventListener("click", function () { self.state.page = page; self.search(); });
      nav.appendChild(b);
    }
    if (body.page > 1) go(body.page - 1, "上一页", "prev");
    if (last > 1) nav.appendChild(el("span", {}, body.page + " / " + last));
    if (body.page < last) go(body.page + 1, "下一页", "next");
    return nav;
  };

  function start() {
    var hosts = document.querySelectorAll("[data-govsearch]");
    Array.prototype.forEach.call(hosts, function (host) {
      if (!host.govsearch) host.govsearch = new Widget(host);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
