"""The site's stylesheet and search script: plain files, no fonts, no framework, no network."""

from __future__ import annotations

STYLE = """\
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fafaf7; --muted: #6b6b70;
  --line: #deded8; --card: #ffffff; --accent: #2457c5; --quote: #f1f1ec; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e3; --bg: #16171a; --muted: #9a9aa2; --line: #33353b; --card: #1f2024;
    --accent: #8fb0ff; --quote: #26282d; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); }
header.site { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: center;
  padding: .75rem max(1rem, calc(50% - 21rem)); border-bottom: 1px solid var(--line); }
header.site .home { font-weight: 700; text-decoration: none; color: var(--fg); }
header.site nav { display: flex; flex-wrap: wrap; gap: .9rem; align-items: center; }
header.site input, #q { font: inherit; padding: .3rem .6rem; border: 1px solid var(--line);
  border-radius: .4rem; background: var(--card); color: var(--fg); }
main { max-width: 42rem; margin: 0 auto; padding: 1rem; }
footer.site { max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: var(--muted);
  font-size: .85rem; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
.lede { color: var(--muted); margin-top: -.5rem; }
article.post { background: var(--card); border: 1px solid var(--line); border-radius: .6rem;
  padding: .9rem 1rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
article.post.deleted { border-style: dashed; }
article.post > header, blockquote.quoted > header { color: var(--muted); font-size: .9rem; }
.who { font-weight: 600; color: var(--fg); }
.badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: .8rem;
  border: 1px solid var(--line); }
.context { color: var(--muted); font-size: .9rem; margin: .3rem 0; }
.text p { margin: .5rem 0; }
article h2 { font-size: 1.15rem; margin: .5rem 0; }
blockquote { margin: .5rem 0; padding-left: .8rem; border-left: 3px solid var(--line); }
blockquote.quoted { background: var(--quote); border-radius: .4rem; padding: .5rem .8rem; }
.media { display: grid; gap: .5rem; margin: .6rem 0; }
figure { margin: 0; }
figure img, figure video { max-width: 100%; height: auto; border-radius: .4rem; display: block; }
figure audio { width: 100%; }
figure.audio { grid-column: 1 / -1; }
.media.n2, .media.n4 { grid-template-columns: repeat(2, 1fr); }
.media.n3, .media.n5, .media.n6, .media.n7, .media.n8, .media.n9, .media.n10 {
  grid-template-columns: repeat(3, 1fr); }
.media[class*=" n"] figure img, .media[class*=" n"] figure video { width: 100%;
  aspect-ratio: 4 / 3; object-fit: cover; }
.ask { background: var(--quote); border-radius: .4rem; padding: .5rem .8rem; margin: .5rem 0;
  white-space: pre-wrap; }
.ask p { margin: .2rem 0; }
.ask .asker { color: var(--muted); font-size: .9rem; font-weight: 600; }
.poll { border: 1px solid var(--line); border-radius: .4rem; padding: .4rem .7rem;
  margin: .5rem 0; }
.poll ul { list-style: none; padding: 0; margin: .3rem 0; }
.poll li { margin: .25rem 0; }
.poll .choice { font-weight: 600; }
.poll meter { width: 8rem; vertical-align: middle; }
.poll .votes, .poll .note, .poll .percent { color: var(--muted); font-size: .85rem; }
.poll pre { white-space: pre-wrap; font: inherit; margin: 0; }
ol.thread li { scroll-margin-top: 1rem; }
.alt { color: var(--muted); font-size: .85rem; margin: .2rem 0 0; }
figure.missing { border: 1px dashed var(--line); border-radius: .4rem; padding: .4rem .6rem;
  font-size: .9rem; }
.card { display: block; border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .7rem;
  margin: .6rem 0; text-decoration: none; color: var(--fg); }
.card strong, .card span, .card small { display: block; }
.card span, .card small { color: var(--muted); font-size: .9rem; }
.unsupported { border: 1px dashed var(--line); padding: .4rem .6rem; font-size: .9rem; }
.unsupported pre { white-space: pre-wrap; font: inherit; margin: .3rem 0 0; }
details.cw { border: 1px solid var(--line); border-radius: .4rem; padding: .3rem .6rem;
  margin: .5rem 0; }
details.cw > summary { cursor: pointer; font-weight: 600; }
article.post > footer { font-size: .85rem; color: var(--muted); margin-top: .5rem; }
nav.pages { display: flex; justify-content: space-between; margin: 1rem 0 2rem; }
ol.thread { list-style: none; padding: 0; }
ol.thread li.current > article, ol.thread li:target > article { border-color: var(--accent); }
ol.thread li.depth-1 { margin-left: 1.25rem; }
ol.thread li.depth-2 { margin-left: 2.5rem; }
ol.thread li.depth-3 { margin-left: 3.75rem; }
ol.thread li.depth-4 { margin-left: 5rem; }
ol.thread li.depth-5 { margin-left: 6.25rem; }
ol.thread li.depth-6 { margin-left: 7.5rem; }
ul.months, ul.tags { padding-left: 1.2rem; }
ul.tags { columns: 2; }
#results li { margin-bottom: .8rem; }
img.avatar { border-radius: 50%; vertical-align: middle; object-fit: cover; }
img.avatar.large { flex: none; }
img.banner { width: 100%; max-height: 12rem; object-fit: cover; border-radius: .6rem;
  display: block; }
section.profile .ident { display: flex; gap: 1rem; align-items: center; margin: .8rem 0; }
section.profile h1 { margin: 0; }
.handle { margin: .2rem 0; color: var(--muted); }
code.id { font-size: .8rem; overflow-wrap: anywhere; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.fields dt { font-weight: 600; }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
ul.counts { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; padding: 0; }
ul.pictures { display: flex; flex-wrap: wrap; gap: .75rem; list-style: none; padding: 0; }
ul.pictures li { display: flex; flex-direction: column; align-items: center; font-size: .85rem; }
ul.people { list-style: none; padding: 0; }
ul.people li { padding: .35rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
ul.people .name, ul.people .since, .platform { color: var(--muted); font-size: .9rem; }
.card img.thumb { max-width: 100%; height: auto; border-radius: .3rem; margin-bottom: .3rem;
  display: block; }
article.post.unread { border-style: dashed; }
section.versions h2, section.list h2 { font-size: 1.1rem; }
ol.versions, ol.changes { padding-left: 1.2rem; }
#results .snippet { margin: .1rem 0 0; color: var(--muted); font-size: .9rem; }
"""

SEARCH = """\
// Client-side search over the index in assets/search/N.js, listed in assets/search-index.js.
// The chunks are scripts (a page opened from file:// may not fetch a file), added to the page
// when a search begins, so opening the page loads none of them. Results are built with
// textContent only: no post text is ever parsed as HTML.
(function () {
  "use strict";
  var listing = window.CROSSPOST_SEARCH || {posts: 0, chunks: []};
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("results");
  var PAGE = 100;  // results shown at once; "More results" shows the next ones
  var chunks = {};  // number -> {people, rows, haystacks}
  var loading = null;
  var ready = listing.chunks.length === 0;
  var failed = false;

  window.CROSSPOST_SEARCH_ADD = function (number, people, rows) {
    chunks[number] = {people: people, rows: rows, haystacks: null};
  };

  function load() {
    if (loading !== null) { return; }
    loading = 0;
    listing.chunks.forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () {
        loading += 1;
        if (loading === listing.chunks.length) { ready = true; run(); }
      };
      script.onerror = function () { failed = true; run(); };
      document.body.appendChild(script);
    });
  }

  function haystack(row, people) {
    var who = people[row[2]] || ["", ""];
    var tags = row[5] ? row[5].split(" ").map(function (t) { return "#" + t; }).join(" ") : "";
    return [who[0], who[1], row[3], row[4], tags].join(" ").toLowerCase();
  }

  function snippet(text, word) {
    var at = word ? text.toLowerCase().indexOf(word) : -1;
    var start = Math.max(0, at - 60);
    var cut = text.slice(start, start + 200);
    return (start > 0 ? "…" : "") + cut + (start + 200 < text.length ? "…" : "");
  }

  function show(hit, words) {
    var row = hit.row, who = hit.people[row[2]] || ["", ""];
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = "posts/" + row[0] + ".html";
    link.textContent = row[1] + " · " + who[0] + " on " + who[1] + (row[3] ? " · " + row[3] : "");
    var text = document.createElement("p");
    text.className = "snippet";
    // Words behind a content warning are found but never shown: the snippet is the warning.
    text.textContent = row[6] ? "CW: " + row[6] : snippet(row[4], words[0]);
    item.appendChild(link);
    item.appendChild(text);
    list.appendChild(item);
  }

  function run() {
    var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    list.textContent = "";
    var button = document.getElementById("more-results");
    if (button) { button.remove(); }
    if (failed) {
      status.textContent = "Part of the search index is missing: render the site again.";
      return;
    }
    if (!words.length) {
      status.textContent = listing.posts + " posts to search.";
      return;
    }
    if (!ready) {
      status.textContent = "Loading the search index…";
      load();
      return;
    }
    var hits = [], count = 0;
    Object.keys(chunks).map(Number).sort(function (a, b) { return b - a; }).forEach(function (n) {
      var chunk = chunks[n];
      if (chunk.haystacks === null) {
        chunk.haystacks = chunk.rows.map(function (row) { return haystack(row, chunk.people); });
      }
      for (var i = 0; i < chunk.rows.length; i++) {
        var text = chunk.haystacks[i];
        if (words.every(function (w) { return text.indexOf(w) !== -1; })) {
          count += 1;
          hits.push({row: chunk.rows[i], people: chunk.people});
        }
      }
    });
    status.textContent = count + (count === 1 ? " post" : " posts") + " found, newest first.";
    more(hits, words, 0);
  }

  function more(hits, words, from) {
    var old = document.getElementById("more-results");
    if (old) { old.remove(); }
    hits.slice(from, from + PAGE).forEach(function (hit) { show(hit, words); });
    if (from + PAGE < hits.length) {
      var button = document.createElement("button");
      button.id = "more-results";
      button.type = "button";
      button.textContent = "More results (" + (hits.length - from - PAGE) + " left)";
      button.addEventListener("click", function () { more(hits, words, from + PAGE); });
      list.parentNode.insertBefore(button, list.nextSibling);
    }
  }

  var timer = null;
  input.addEventListener("focus", load);
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; }
  run();
})();
"""
