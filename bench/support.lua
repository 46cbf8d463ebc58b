-- wrk script: signed-in residents toggle their support for one shop type at one premises.
--
-- Arguments after `--`: the sessions file (one "Cookie header<TAB>CSRF token" line per
-- resident), the premises id, the shop type code and wrk's number of threads. Each thread takes
-- its own residents, so two threads never act for the same one; within a thread the residents
-- take turns, each one supporting, then withdrawing, then supporting again.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function init(args)
  local threads = tonumber(args[4])
  premises, code = args[2], args[3]
  residents = {}
  local index = 0
  for line in io.lines(args[1]) do
    local cookie, token = line:match("^([^\t]+)\t(.+)$")
    if cookie then
      if index % threads == thread_id then
        table.insert(residents, { cookie = cookie, token = token })
      end
      index = index + 1
    end
  end
  sent = 0
end

function request()
  local resident = residents[(sent % #residents) + 1]
  local withdraw = math.floor(sent / #residents) % 2 == 1
  sent = sent + 1
  local path = "/premises/" .. premises .. "/supports/" .. code
  if withdraw then
    path = path .. "/withdraw"
  end
  local headers = {
    ["Cookie"] = resident.cookie,
    ["X-CSRFToken"] = resident.token,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  return wrk.format("POST", path, headers, "next=%2Fpremises%2F" .. premises)
end
