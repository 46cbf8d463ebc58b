/*
 * The position picker of the premises form (wishboard.maps.picker_map).
 * - A click on the map, or dragging the pin, fills the latitude and longitude fields; typing in
 *   the fields moves the pin. The fields stay the way to set the position without a pointer, and
 *   its text alternative.
 * - From the keyboard: the map pans with the arrow keys and Enter puts the pin at its centre. The
 *   pin itself is not a tab stop, and Tab leaves the map like any other element.
 * - A spot outside the town is refused with a message, as the server would refuse it.
 * Without JavaScript the map stays hidden and the fields are typed.
 */
(function () {
  "use strict";

  function number(field) {
    var value = parseFloat(String(field.value).trim().replace(",", "."));
    return isFinite(value) ? value : null;
  }

  function inside(bounds, lat, lng) {
    return !bounds || (bounds[0] <= lat && lat <= bounds[2] && bounds[1] <= lng && lng <= bounds[3]);
  }

  function setUp(container) {
    var map = window[container.dataset.mapVar];
    var latitude = document.getElementById(container.dataset.pickerLatitude);
    var longitude = document.getElementById(container.dataset.pickerLongitude);
    if (!map || !latitude || !longitude) return;
    var labels = JSON.parse(container.dataset.labels || "{}");
    var bounds = JSON.parse(container.dataset.bounds || "null");
    var status = document.getElementById(container.dataset.pickerStatus);
    var pin = null;

    var wrapper = container.closest("[hidden]");
    if (wrapper) wrapper.removeAttribute("hidden");
    map.invalidateSize();

    function say(text) {
      if (status) status.textContent = text;
    }

    function place(lat, lng) {
      var point = L.latLng(lat, lng);
      if (pin) {
        pin.setLatLng(point);
        return;
      }
      pin = L.marker(point, {
        draggable: true,
        keyboard: false,
        icon: L.divIcon({ className: "picker-pin", iconSize: [22, 22], iconAnchor: [11, 11] }),
      }).addTo(map);
      pin.on("dragend", function () {
        var moved = pin.getLatLng();
        choose(moved.lat, moved.lng);
      });
    }

    function choose(lat, lng) {
      if (!inside(bounds, lat, lng)) {
        say(labels.outside || "");
        var lastLat = number(latitude);
        var lastLng = number(longitude);
        if (pin && lastLat !== null && lastLng !== null) pin.setLatLng([lastLat, lastLng]);
        return;
      }
      latitude.value = lat.toFixed(6);
      longitude.value = lng.toFixed(6);
      place(lat, lng);
      say((labels.chosen || "%(latitude)s, %(longitude)s")
        .replace("%(latitude)s", latitude.value)
        .replace("%(longitude)s", longitude.value));
    }

    function fromFields() {
      var lat = number(latitude);
      var lng = number(longitude);
      if (lat === null || lng === null) return;
      place(lat, lng);
      map.panTo([lat, lng]);
    }

    map.on("click", function (event) {
      choose(event.latlng.lat, event.latlng.lng);
    });
    container.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target !== container) return;
      event.preventDefault(); // Enter here places the pin; it must not send the form
      var centre = map.getCenter();
      choose(centre.lat, centre.lng);
    });
    latitude.addEventListener("change", fromFields);
    longitude.addEventListener("change", fromFields);

    var lat = number(latitude);
    var lng = number(longitude);
    if (lat !== null && lng !== null) {
      place(lat, lng);
      map.setView([lat, lng], map.getZoom());
    }
  }

  document.querySelectorAll("[data-map-var][data-picker-latitude]").forEach(setUp);
})();
