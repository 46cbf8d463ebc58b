/*
 * Draws the pins of the town map: every premises from the GeoJSON endpoint, as circles sized and
 * coloured by total support, gathered in clusters. The map itself is set up by folium's script;
 * its container tells us the Leaflet variable, the data URL, the texts and the support levels.
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

  function popupContent(properties, labels) {
    var box = element("div", "map-popup");
    box.appendChild(element("p", "map-popup-title", properties.address));
    box.appendChild(
      element("p", "map-popup-meta", properties.district + " · " + (labels[properties.status] || properties.status))
    );
    box.appendChild(element("p", null, format(labels.total, { count: properties.total_support })));
    if (properties.top.length) {
      box.appendChild(element("p", "map-popup-top", labels.top));
      var list = element("ol");
      properties.top.forEach(function (item) {
        list.appendChild(element("li", null, format(labels.item, { label: item.label, count: item.count })));
      });
      box.appendChild(list);
    } else {
      box.appendChild(element("p", null, labels.none));
    }
    var link = element("a", null, labels.details);
    link.href = labels.detail_url.replace("{id}", encodeURIComponent(properties.id));
    box.appendChild(element("p")).appendChild(link);
    return box;
  }

  function clusterIcon(labels) {
    return function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var inner = element("div");
      var number = element("span", null, String(count));
      number.setAttribute("aria-hidden", "true");
      inner.appendChild(number);
      inner.appendChild(element("span", "visually-hidden", format(labels.cluster, { count: count })));
      return L.divIcon({
        html: inner,
        className: "marker-cluster marker-cluster-" + size,
        iconSize: L.point(40, 40),
      });
    };
  }

  function drawPins(container) {
    var map = window[container.dataset.mapVar];
    if (!map || !window.L || !L.markerClusterGroup) return;
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

    fetch(container.dataset.geojsonUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (collection) {
        var markers = collection.features.map(function (feature) {
          var properties = feature.properties;
          var level = levelFor(levels, properties.total_support);
          var isLet = properties.status === "let";
          var marker = L.circleMarker([feature.geometry.coordinates[1], feature.geometry.coordinates[0]], {
            radius: level.radius,
            color: OUTLINE,
            weight: isLet ? 2 : 1.5,
            dashArray: isLet ? "4 3" : null,
            fillColor: level.colour,
            fillOpacity: isLet ? 0.3 : 0.85,
          });
          // Built on opening only: thousands of popups up front would slow the first paint.
          marker.bindPopup(function () {
            return popupContent(properties, labels);
          });
          return marker;
        });
        clusters.addLayers(markers);
        map.addLayer(clusters);
        if (markers.length) map.fitBounds(clusters.getBounds(), { padding: [24, 24], maxZoom: 16, animate: false });
        if (status) status.textContent = format(labels.loaded, { count: markers.length });
      })
      .catch(function () {
        if (status) {
          status.textContent = labels.failed;
          status.classList.add("map-status-error");
        }
      });
  }

  document.querySelectorAll("[data-map-var][data-geojson-url]").forEach(drawPins);
})();
