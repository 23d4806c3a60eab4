// The stylesheet and script inlined into every report.html (report_html.h): the script reads
// the JSON data island #report-data and draws its charts as SVG, with no library and no
// network access. Kept apart from the page builder so that the C++ stays readable.
#pragma once

namespace fleetsim {

extern const char* const kReportCss;
extern const char* const kReportJs;

}  // namespace fleetsim
