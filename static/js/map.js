/*
 * Draws the pins of the town map: the premises in its view from the GeoJSON endpoint, as circles
 * sized and coloured by total support, gathered in clusters, or zoomed out over many of them,
 * their counts by area. The map itself is set up by folium's script; its container tells us the
 * Leaflet variable, the data URLs, the texts and the support levels.
 * User text only ever reaches the page through textContent.
 */
(function () {
  "use strict";

  var OUTLINE = "#1b1f24";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function levelFor(levels, total) {
    var chosen = levels[0];
    levels.forEach(function (level) {
      if (total >= level.min) chosen = level;
    });
    return chosen;
  }

  /*
   * The numbered properties `prefix1_…`, `prefix2_…` of a feature (a ranking: the open data has
   * no lists, so that GIS software reads it as columns), as objects without the prefix, up to the
   * first one absent or null.
   */
  function ranked(properties, prefix) {
    var items = [];
    for (var n = 1; properties[prefix + n + "_code"] != null; n += 1) {
      var item = {};
      var start = prefix + n + "_";
      Object.keys(properties).forEach(function (key) {
        if (key.indexOf(start) === 0) item[key.slice(start.length)] = properties[key];
      });
      items.push(item);
    }
    return items;
  }

  function popupContent(id, properties, labels) {
    var box = element("div", "map-popup");
    box.appendChild(element("p", "map-popup-title", properties.address));
    box.appendChild(
      element("p", "map-popup-meta", properties.district + " · " + (labels[properties.status] || properties.status))
    );
    if (properties.let_code != null) {
      box.appendChild(
        element("p", "map-popup-let", format(labels.let_result, { label: properties.let_label, count: properties.let_asked }))
      );
    }
    box.appendChild(element("p", null, format(labels.total, { count: properties.total_support })));
    var top = ranked(properties, "top");
    if (top.length) {
      box.appendChild(element("p", "map-popup-top", labels.top));
      var list = element("ol");
      top.forEach(function (item) {
        list.appendChild(element("li", null, format(labels.item, { label: item.label, count: item.count })));
      });
      box.appendChild(list);
    } else {
      box.appendChild(element("p", null, labels.none));
    }
    var link = element("a", null, labels.details);
    link.href = labels.detail_url.replace("{id}", encodeURIComponent(id));
    box.appendChild(element("p")).appendChild(link);
    return box;
  }

  /* A round marker that stands for `count` premises: the number shown, the sentence read out. */
  function countIcon(count, labels, extraClass) {
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    var inner = element("div");
    var number = element("span", null, String(count));
    number.setAttribute("aria-hidden", "true");
    inner.appendChild(number);
    inner.appendChild(element("span", "visually-hidden", format(labels.cluster, { count: count })));
    return L.divIcon({
      html: inner,
      className: "marker-cluster marker-cluster-" + size + (extraClass ? " " + extraClass : ""),
      iconSize: L.point(40, 40),
    });
  }

  function clusterIcon(labels) {
    return function (cluster) {
      return countIcon(cluster.getChildCount(), labels);
    };
  }

  /* The panel beside the map: what residents wish for at a premises, or the area-wish form. */
  function openPanel(url) {
    var panel = document.getElementById("map-panel");
    if (!panel || !window.htmx) {
      window.location.href = url; // without htmx, the page itself says the same
      return;
    }
    htmx.ajax("GET", url, { target: panel, swap: "innerHTML" });
  }

  /* A tap on an empty spot inside the town offers to wish for a shop around it. */
  function enableAreaWishes(container) {
    var map = window[container.dataset.mapVar];
    // A map of overlays alone (no premises) offers no area wish.
    if (!map || !window.L || !container.dataset.bounds || !container.dataset.geojsonUrl) return;
    var labels = JSON.parse(container.dataset.labels);
    var bounds = JSON.parse(container.dataset.bounds); // south, west, north, east
    var spot = null;
    map.on("click", function (event) {
      var lat = event.latlng.lat;
      var lng = event.latlng.lng;
      if (spot) map.removeLayer(spot);
      var inside = lat >= bounds[0] && lat <= bounds[2] && lng >= bounds[1] && lng <= bounds[3];
      var box = element("div", "map-popup");
      if (!inside) {
        box.appendChild(element("p", null, labels.outside));
      } else {
        var button = element("button", "button map-popup-button", labels.area_prompt);
        button.type = "button";
        button.addEventListener("click", function () {
          var url = labels.area_url + "?latitude=" + lat.toFixed(6) + "&longitude=" + lng.toFixed(6);
          map.closePopup();
          openPanel(url);
        });
        box.appendChild(button);
        if (labels.follow_url) {
          // News of this spot by e-mail: the settings page, the spot filled in (sign-in first).
          var follow = element("a", "map-popup-link", labels.follow_prompt);
          follow.href = labels.follow_url + "?latitude=" + lat.toFixed(6) + "&longitude=" + lng.toFixed(6) + "#follow-spot";
          box.appendChild(follow);
        }
      }
      spot = L.circleMarker(event.latlng, { radius: 7, color: OUTLINE, weight: 2, dashArray: "2 3", fillOpacity: 0 });
      spot.addTo(map).bindPopup(box).openPopup();
    });
  }

  /*
   * The filters above the map: a change fetches the matching pins instead of reloading the page,
   * and the URL follows (shareable; the back button restores the previous filters). The links to
   * the list and to the open data carry the same filters. Without JavaScript the form reloads
   * the page instead.
   */
  function filterMap(container, pins) {
    var form = document.getElementById("map-filters");
    if (!form || !window.URLSearchParams || !window.FormData) return;
    var links = ["map-list-link", "map-data-link"]
      .map(function (id) { return document.getElementById(id); })
      .filter(Boolean)
      .map(function (link) { return { link: link, base: link.getAttribute("href").split("?")[0] }; });

    function chosen() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (value) params.append(key, value); // "any" stays out of the URL
      });
      var query = params.toString();
      return query ? "?" + query : "";
    }

    function show(query) {
      pins.query = query;
      showView(pins, true);
      links.forEach(function (item) { item.link.href = item.base + query; });
    }

    function apply(event) {
      event.preventDefault();
      var query = chosen();
      if (query !== location.search) history.pushState(null, "", location.pathname + query);
      show(query);
    }

    form.addEventListener("change", apply);
    form.addEventListener("submit", apply);
    window.addEventListener("popstate", function () {
      var params = new URLSearchParams(location.search);
      Array.prototype.forEach.call(form.querySelectorAll("select"), function (field) {
        field.value = params.get(field.name) || "";
        if (field.selectedIndex < 0) field.selectedIndex = 0; // a value the list does not offer
      });
      show(chosen());
    });
  }

  /*
   * The premises of the town map, loaded for what the view shows. Zoomed out, the server counts
   * them by area (one GeoJSON point per cell of its grid); when the view holds few enough, or
   * from the street zoom on, the premises in the view come one by one (`bbox`), gathered into
   * clusters here. Boxes are rounded out to a grid of tiles: a small pan asks for the same URL
   * (the browser's and the server's caches answer it), and a view inside what is already
   * loaded asks for nothing.
   */
  function drawPins(container) {
    var map = window[container.dataset.mapVar];
    if (!map || !window.L || !L.markerClusterGroup || !container.dataset.geojsonUrl) return;
    var labels = JSON.parse(container.dataset.labels);
    var levels = JSON.parse(container.dataset.levels);
    var status = document.getElementById("map-status");
    var clusters = L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      disableClusteringAtZoom: 18,
      iconCreateFunction: clusterIcon(labels),
    });
    map.addLayer(clusters);
    var cells = L.layerGroup().addTo(map);
    var split = container.dataset.geojsonUrl.split("?");
    var pins = {
      map: map,
      clusters: clusters,
      cells: cells,
      markers: {}, // the pins drawn, by premises id
      labels: labels,
      levels: levels,
      status: status,
      loads: 0,
      pending: false, // an answer is awaited
      shown: null, // what the map holds: {kind, box, zoom, query}
      query: split[1] ? "?" + split[1] : "",
      pinsUrl: split[0],
      cellsUrl: (container.dataset.clustersUrl || "").split("?")[0],
      view: JSON.parse(container.dataset.view || "{}"),
    };
    // The first view frames the town, whatever its pins.
    var bounds = JSON.parse(container.dataset.bounds); // south, west, north, east
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { padding: [24, 24], animate: false });
    showView(pins, true);
    var waiting = null;
    map.on("moveend", function () {
      clearTimeout(waiting);
      waiting = setTimeout(function () { showView(pins, false); }, 150);
    });
    filterMap(container, pins);
  }

  /* The box around `bounds` rounded out to the grid of 256-pixel tiles at `zoom`. */
  function gridBox(pins, bounds, zoom) {
    var step = (pins.view.cell * 4) / Math.pow(2, zoom);
    return [
      Math.max(-180, Math.floor(bounds.getWest() / step) * step),
      Math.max(-90, Math.floor(bounds.getSouth() / step) * step),
      Math.min(180, Math.ceil(bounds.getEast() / step) * step),
      Math.min(90, Math.ceil(bounds.getNorth() / step) * step),
    ];
  }

  function boxBounds(box) {
    return L.latLngBounds([box[1], box[0]], [box[3], box[2]]);
  }

  function withArgs(base, query, args) {
    return base + query + (query ? "&" : "?") + args;
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  // Loads what the view needs unless the map holds it already (`fresh`: the filters changed).
  function showView(pins, fresh) {
    var map = pins.map;
    var zoom = map.getZoom();
    var view = map.getBounds();
    var shown = pins.shown;
    // While an answer is awaited, what the map holds may not be what the next view gets.
    if (!fresh && !pins.pending && shown && shown.query === pins.query && shown.box.contains(view)) {
      // Pins that cover the view stay at any zoom; counts by area are for their own zoom.
      if (shown.kind === "pins" || shown.zoom === zoom) return;
    }
    var load = ++pins.loads;
    pins.pending = true;
    var fail = function () {
      if (load === pins.loads) pins.pending = false;
      if (pins.status && load === pins.loads) {
        pins.status.textContent = pins.labels.failed;
        pins.status.classList.add("map-status-error");
      }
    };
    if (!pins.cellsUrl || zoom >= pins.view.street_zoom) {
      var box = pins.cellsUrl ? gridBox(pins, view.pad(0.1), zoom) : null;
      loadPins(pins, load, box).catch(fail);
      return;
    }
    var area = gridBox(pins, view.pad(0.1), zoom);
    getJson(withArgs(pins.cellsUrl, pins.query, "zoom=" + zoom + "&bbox=" + area.join(",")))
      .then(function (collection) {
        if (load !== pins.loads) return null; // a later view's answer is the one to show
        var total = 0;
        collection.features.forEach(function (feature) { total += feature.properties.count; });
        if (total <= pins.view.pins_up_to) return loadPins(pins, load, collection.bbox || area);
        drawCells(pins, collection.features, boxBounds(collection.bbox || area), zoom, total);
        return null;
      })
      .catch(fail);
  }

  /* The counts by area: one round marker per cell, which zooms to its premises when chosen. */
  function drawCells(pins, features, bounds, zoom, total) {
    var map = pins.map, labels = pins.labels;
    pins.clusters.clearLayers();
    pins.markers = {};
    pins.cells.clearLayers();
    features.forEach(function (feature) {
      var at = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
      var cell = L.marker(at, { icon: countIcon(feature.properties.count, labels, "map-cell") });
      var p = feature.properties;
      var box = [p.west, p.south, p.east, p.north]; // the box around its premises
      cell.on("click", function () {
        var around = boxBounds(box);
        if (around.getNorthEast().equals(around.getSouthWest())) {
          map.setView(around.getCenter(), Math.max(zoom + 2, pins.view.street_zoom));
        } else {
          map.fitBounds(around, { padding: [24, 24], maxZoom: pins.view.street_zoom });
        }
      });
      pins.cells.addLayer(cell);
    });
    pins.shown = { kind: "cells", box: bounds, zoom: zoom, query: pins.query };
    pins.pending = false;
    if (pins.status) {
      pins.status.classList.remove("map-status-error");
      pins.status.textContent = format(labels.cells, { count: total });
    }
  }

  function pinStyle(levels, properties) {
    var level = levelFor(levels, properties.total_support);
    var isLet = properties.status === "let";
    return {
      radius: level.radius,
      color: OUTLINE,
      weight: isLet ? 2 : 1.5,
      dashArray: isLet ? "4 3" : null,
      fillColor: level.colour,
      fillOpacity: isLet ? 0.3 : 0.85,
    };
  }

  function makePin(pins, feature) {
    var labels = pins.labels;
    var style = pinStyle(pins.levels, feature.properties);
    style.bubblingMouseEvents = false; // a tap on a pin is not a tap on an empty spot
    var marker = L.circleMarker([feature.geometry.coordinates[1], feature.geometry.coordinates[0]], style);
    marker.properties = feature.properties;
    marker.on("click", function () {
      openPanel(labels.detail_url.replace("{id}", encodeURIComponent(feature.id)));
    });
    // Built on opening only: thousands of popups up front would slow the first paint.
    marker.bindPopup(function () {
      return popupContent(feature.id, marker.properties, labels);
    });
    return marker;
  }

  /*
   * Fetches the premises in `box` (all of them without one) and shows their pins instead of
   * what the map held. Pins already drawn stay (an open popup with them); the others come and go.
   */
  function loadPins(pins, load, box) {
    var url = box ? withArgs(pins.pinsUrl, pins.query, "bbox=" + box.join(",")) : pins.pinsUrl + pins.query;
    var query = pins.query;
    return getJson(url).then(function (collection) {
      if (load !== pins.loads) return; // a later view's or filter's answer is the one to show
      var before = pins.markers, after = {}, added = [], removed = [];
      collection.features.forEach(function (feature) {
        var id = feature.id;
        var marker = before[id];
        if (marker) {
          marker.properties = feature.properties;
          marker.setStyle(pinStyle(pins.levels, feature.properties));
        } else {
          marker = makePin(pins, feature);
          added.push(marker);
        }
        after[id] = marker;
      });
      Object.keys(before).forEach(function (id) {
        if (!after[id]) removed.push(before[id]);
      });
      pins.cells.clearLayers();
      pins.clusters.removeLayers(removed);
      pins.clusters.addLayers(added);
      pins.markers = after;
      pins.shown = {
        kind: "pins",
        box: box ? boxBounds(box) : L.latLngBounds([[-90, -180], [90, 180]]),
        zoom: pins.map.getZoom(),
        query: query,
      };
      pins.pending = false;
      if (pins.status) {
        pins.status.classList.remove("map-status-error");
        pins.status.textContent = format(pins.labels.loaded, { count: collection.features.length });
      }
    });
  }

  // Below this width (a phone) the layers control folds into a button: open, it would cover the
  // zoom buttons and much of the map.
  var WIDE_MAP = 600;

  /* Popups open below the controls along the map's top edge, never under them. */
  function keepPopupsClearOfControls(map) {
    var top = 0;
    map.getContainer().querySelectorAll(".leaflet-top .leaflet-control").forEach(function (control) {
      top = Math.max(top, control.offsetTop + control.offsetHeight);
    });
    L.Popup.mergeOptions({ autoPanPaddingTopLeft: L.point(12, top + 12) });
  }

  /* The one layers control of a map, made when its first overlay arrives. */
  function addOverlay(map, layer, name) {
    if (!map._wishboardLayers) {
      var container = map.getContainer();
      var folded = container.clientWidth < WIDE_MAP;
      map._wishboardLayers = L.control.layers(null, null, { collapsed: folded }).addTo(map);
      var control = map._wishboardLayers.getContainer();
      if (folded) {
        var toggle = control.querySelector(".leaflet-control-layers-toggle");
        var label = JSON.parse(container.dataset.labels || "{}").layers;
        if (toggle && label) {
          toggle.title = label;
          toggle.setAttribute("aria-label", label);
        }
      } else {
        // Expanded for good, the control opens no menu.
        control.removeAttribute("aria-haspopup");
      }
    }
    // Leaflet writes an overlay's name as HTML: hand it the text already escaped.
    map._wishboardLayers.addOverlay(layer, element("span", null, name).innerHTML);
    keepPopupsClearOfControls(map);
  }

  var SVG = "http://www.w3.org/2000/svg";
  // The outlines of the overlays' markers in a 16 px box: shapes the premises' circles never take.
  var SHAPES = {
    square: "2,2 14,2 14,14 2,14",
    diamond: "8,1 15,8 8,15 1,8",
    triangle: "8,1 15,14 1,14",
  };

  function layerIcon(spec) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    var shape = document.createElementNS(SVG, "polygon");
    shape.setAttribute("points", SHAPES[spec.shape] || SHAPES.square);
    shape.setAttribute("fill", spec.colour);
    shape.setAttribute("stroke", OUTLINE);
    shape.setAttribute("stroke-width", "2");
    shape.setAttribute("stroke-linejoin", "round");
    svg.appendChild(shape);
    return L.divIcon({
      html: svg,
      className: "map-layer-marker map-layer-marker-" + spec.key,
      iconSize: L.point(16, 16),
      popupAnchor: L.point(0, -8),
    });
  }

  var PLACEHOLDER = /%\((\w+)\)s/g;

  function isEmpty(value) {
    return value === null || value === undefined || value === "";
  }

  /*
   * One line of a layer's popup (MapLayer.lines in wishboard/maps.py) from a feature's `values`:
   * the template for their count (singular or plural, by the page's language), filled in; null
   * when every value it names is empty.
   */
  function layerLine(line, values) {
    var names = [];
    line.text.replace(PLACEHOLDER, function (match, key) { names.push(key); return match; });
    if (names.length && names.every(function (key) { return isEmpty(values[key]); })) return null;
    var template = line.text;
    if (line.plural && line.count) {
      var rules = new Intl.PluralRules(document.documentElement.lang || undefined);
      if (rules.select(Number(values[line.count])) !== "one") template = line.plural;
    }
    return template.replace(PLACEHOLDER, function (match, key) {
      return isEmpty(values[key]) ? "" : String(values[key]);
    }).trim();
  }

  function layerPopup(properties, spec) {
    var box = element("div", "map-popup");
    box.appendChild(element("p", "map-popup-title", String(properties[spec.title] || "")));
    (spec.lines || []).forEach(function (line) {
      var all = line.ranked ? ranked(properties, line.ranked) : [properties];
      all.forEach(function (values) {
        var text = layerLine(line, values);
        if (text) box.appendChild(element("p", "map-popup-meta", text));
      });
    });
    if (properties.url) {
      var link = element("a", null, spec.link);
      link.href = properties.url; // the server's own URL; a text property, never markup
      box.appendChild(element("p")).appendChild(link);
    }
    return box;
  }

  /*
   * The overlays of the page (the directory's shops, the gaps…): each a group in the layers
   * control, its GeoJSON loaded when it is first shown. Its markers are not keyboard stops: with
   * hundreds of them the page would be a maze, and each page lists the same places as text.
   */
  function drawLayers(container) {
    var map = window[container.dataset.mapVar];
    if (!map || !window.L || !container.dataset.layers) return;
    var specs = JSON.parse(container.dataset.layers);
    var status = document.getElementById("map-status");
    var fitted = Boolean(container.dataset.geojsonUrl); // the premises pins frame the map
    var overlays = map._wishboardOverlays || (map._wishboardOverlays = {});
    specs.forEach(function (spec) {
      var group = L.layerGroup();
      var overlay = { group: group, spec: spec, url: spec.url, loaded: null, loads: 0 };
      overlays[spec.key] = overlay;

      // `refit`: the page narrowed the layer (a filter), so a map without premises frames it again.
      overlay.load = function (refit) {
        var url = overlay.url;
        var load = ++overlay.loads;
        overlay.loaded = url;
        fetch(url, { credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) throw new Error("HTTP " + response.status);
            return response.json();
          })
          .then(function (collection) {
            if (load !== overlay.loads) return; // a later URL's answer is the one to show
            group.clearLayers();
            var points = [];
            collection.features.forEach(function (feature) {
              if (!feature.geometry || feature.geometry.type !== "Point") return;
              var at = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
              points.push(at);
              var marker = L.marker(at, {
                icon: layerIcon(spec),
                keyboard: false,
                title: String(feature.properties[spec.title] || ""),
                bubblingMouseEvents: false,
              });
              marker.bindPopup(function () {
                return layerPopup(feature.properties, spec);
              });
              group.addLayer(marker);
            });
            // The first layer to arrive frames a map without premises; later ones leave the view be.
            if ((!fitted || (refit && !container.dataset.geojsonUrl)) && points.length) {
              fitted = true;
              map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 16, animate: false });
            }
            if (status) {
              status.classList.remove("map-status-error");
              status.textContent = format(spec.loaded, { count: points.length });
            }
          })
          .catch(function () {
            if (status && load === overlay.loads) {
              status.textContent = spec.failed;
              status.classList.add("map-status-error");
            }
          });
      };

      // Loaded when first switched on, and again when its URL changed while it was off.
      group.on("add", function () {
        if (overlay.loaded !== overlay.url) overlay.load(false);
      });
      if (spec.shown) group.addTo(map);
      addOverlay(map, group, spec.label);
    });
  }

  /*
   * A part of the page that htmx swapped in may name a new URL for an overlay (the directory's
   * filters narrow its shops): `data-map-layer` is the layer's key, `data-map-layer-url` its URL.
   */
  function followLayerUrls() {
    document.querySelectorAll("[data-map-layer][data-map-layer-url]").forEach(function (source) {
      document.querySelectorAll("[data-map-var][data-layers]").forEach(function (container) {
        var map = window[container.dataset.mapVar];
        var overlay = map && map._wishboardOverlays && map._wishboardOverlays[source.dataset.mapLayer];
        if (!overlay || overlay.url === source.dataset.mapLayerUrl) return;
        overlay.url = source.dataset.mapLayerUrl;
        if (map.hasLayer(overlay.group)) overlay.load(true);
      });
    });
  }

  /*
   * The area wishes, gathered in cells by the server, as a heat layer below the pins, with a layers
   * control to switch it off. It loads on its own: if it fails, the pins are unaffected.
   */
  function drawAreaWishes(map, container) {
    var url = container.dataset.areaWishesUrl;
    if (!map || !url || !window.L || !L.heatLayer) return;
    var labels = JSON.parse(container.dataset.labels);
    var gradient = JSON.parse(container.dataset.heatGradient);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (collection) {
        var most = 1;
        var points = collection.features.map(function (feature) {
          // The cell's centre, halfway between its south-west and north-east corners.
          var ring = feature.geometry.coordinates[0];
          most = Math.max(most, feature.properties.count);
          return [(ring[0][1] + ring[2][1]) / 2, (ring[0][0] + ring[2][0]) / 2, feature.properties.count];
        });
        var heat = L.heatLayer(points, {
          max: most,
          // leaflet.heat fades points below maxZoom; the same heat at every zoom reads better.
          maxZoom: map.getMinZoom(),
          radius: 30,
          blur: 20,
          minOpacity: 0.35,
          gradient: gradient,
        });
        heat.on("add", function () {
          // leaflet.heat appends its canvas to the overlay pane, above the pins: put it first.
          var pane = map.getPane("overlayPane");
          var canvas = pane.querySelector("canvas.leaflet-heatmap-layer");
          if (canvas) pane.insertBefore(canvas, pane.firstChild);
        });
        // Switched through a group: the control would grey out a layer whose maxZoom is passed.
        var layer = L.layerGroup([heat]).addTo(map);
        addOverlay(map, layer, labels.heat);
      })
      .catch(function () {
        /* The heat is an extra: the pins and the list tell the same story without it. */
      });
  }

  document.querySelectorAll("[data-map-var][data-geojson-url]").forEach(drawPins);
  document.querySelectorAll("[data-map-var][data-geojson-url]").forEach(enableAreaWishes);
  document.querySelectorAll("[data-map-var][data-area-wishes-url]").forEach(function (container) { drawAreaWishes(window[container.dataset.mapVar], container); });
  document.querySelectorAll("[data-map-var][data-layers]").forEach(drawLayers);
  document.body.addEventListener("htmx:afterSettle", followLayerUrls);
})();
