// Fills the shop page from /api/me and /api/cart (text and JSON built by DPML scripts).
"use strict";

const NAMES = { apple: "Apples", pear: "Pears", plum: "Plums" };

async function load() {
  const me = await fetch("/api/me", { credentials: "same-origin" });
  const user = me.ok ? (await me.text()).trim() : "";
  document.getElementById("login").hidden = user !== "";
  document.getElementById("logout").hidden = user === "";
  document.getElementById("user").textContent = user;

  const response = await fetch("/api/cart", { credentials: "same-origin" });
  const cart = response.ok ? JSON.parse((await response.text()) || "{}") : {};
  const list = document.getElementById("cart");
  list.replaceChildren();
  for (const [item, name] of Object.entries(NAMES)) {
    const count = parseInt((cart[item] || ["0"])[0], 10) || 0;
    document.getElementById(item).value = count;
    if (count > 0) {
      const li = document.createElement("li");
      li.id = "cart-" + item;
      li.textContent = `${name}: ${count}`;
      list.append(li);
    }
  }
  document.getElementById("empty").hidden = list.children.length > 0;
  document.body.dataset.loaded = "yes";
}

load();
