package main

import "fmt"

// The census rounds' figures the source reports give, which the demo
// reproduces so that the statistics service shows them (docs/stats.md):
//
//   - seed 001, 奇山街道: 10 express last-mile outlets (快递末端网点), 81
//     couriers, 14 freight and ride-hailing drivers, 102 online check-ins,
//     72 suggestions collected, 18 stations and 3 shared lockers;
//   - seed 002, 建设路社区: 3 enterprises, 30+ workers, 3 mobile party members.
//
// The hand-written demo (seed.go) has the people and places a developer
// meets by name; censusRound adds the rest of the census as generated,
// plausible, fixed rows.
const (
	qishanOutlets         = 10
	qishanCouriers        = 81
	qishanDrivers         = 14 // freight_driver and ride_hailing_driver
	qishanOnlineCheckIns  = 102
	qishanSuggestions     = 72
	qishanStations        = 18 // besides the shared lockers
	qishanSharedLockers   = 3
	jiansheluWorkersAtMin = 30
)

// qishanCommunities are 奇山街道's communities, in the order generated rows
// go round them.
var qishanCommunities = []string{"tashan", "qizhong", "siyanqiao", "shangqiaoxilu", "changsheng"}

// censusRound adds to d the generated rows that bring it to the reports'
// figures. It counts what d has already, so hand-written rows may change.
func censusRound(d *demoData) {
	street := map[string]string{}
	for _, s := range d.Streets {
		for _, c := range s.Communities {
			street[c.Code] = s.Code
		}
	}
	var outlets, stations, lockers int
	for _, e := range d.Enterprises {
		if street[e.Community] == "qishan" && (e.Kind == "express_outlet" || e.Kind == "parcel_station") {
			outlets++
		}
	}
	for _, s := range d.Stations {
		if street[s.Community] == "qishan" {
			if s.Kind == "shared_locker" {
				lockers++
			} else {
				stations++
			}
		}
	}
	var couriers, drivers, online, jianshelu int
	for _, w := range d.Workers {
		switch {
		case street[w.Community] == "qishan":
			if w.Occupation == "courier" {
				couriers++
			}
			if w.Occupation == "freight_driver" || w.Occupation == "ride_hailing_driver" {
				drivers++
			}
			if w.CheckIn.Channel == "online" {
				online++
			}
		case w.Community == "jianshelu":
			jianshelu++
		}
	}

	// Outlets: the brands the district's couriers work for.
	brands := []struct{ name, code, kind string }{
		{"申通快递奇山网点", "91370602MA3P6R2J3", "express_outlet"},
		{"邮政EMS奇山揽投部", "91370602MA3Q1T8K6", "express_outlet"},
		{"德邦快递塔山营业部", "91370602MA3R5W4L0", "express_outlet"},
		{"极兔速递奇中网点", "91370602MA3T9X1M2", "express_outlet"},
		{"菜鸟驿站（长生社区店）", "92370602MA3U3Y7N5", "parcel_station"},
		{"兔喜生活（四眼桥店）", "92370602MA3W8A5P1", "parcel_station"},
	}
	for i := 0; outlets < qishanOutlets && i < len(brands); i++ {
		b, community := brands[i], qishanCommunities[i%len(qishanCommunities)]
		d.Enterprises = append(d.Enterprises, demoEnterprise{Key: fmt.Sprintf("census-outlet-%d", i+1), Name: b.name, Kind: b.kind,
			CreditCode: creditCode(b.code), Community: community, Address: fmt.Sprintf("芝罘区奇山北路%d号", 101+2*i),
			Contact: demoContact{generatedName(900 + i), generatedMobile(900 + i)}})
		outlets++
	}

	// Stations along the streets riders ride, and the shared lockers.
	for i := 0; stations < qishanStations; i++ {
		community := qishanCommunities[i%len(qishanCommunities)]
		d.Stations = append(d.Stations, demoStation{Key: fmt.Sprintf("census-station-%d", i+1),
			Name: fmt.Sprintf("奇山街道小哥加油站·%s%d号", communityName(d, community), i/len(qishanCommunities)+1),
			Kind: "rider_station", Community: community, Host: communityName(d, community) + "党委",
			Lat: 37.530 + float64(i)*0.0011, Lng: 121.386 + float64(i%7)*0.0035, Address: fmt.Sprintf("芝罘区奇山南路%d号", 11+4*i),
			OpeningHours: daily("08:00", "21:00"), Facilities: []string{"charging", "water", "toilet"}})
		stations++
	}
	for i := 0; lockers < qishanSharedLockers; i++ {
		community := qishanCommunities[(i+2)%len(qishanCommunities)]
		d.Stations = append(d.Stations, demoStation{Key: fmt.Sprintf("census-locker-%d", i+1),
			Name: fmt.Sprintf("暖新共享柜·%s", communityName(d, community)), Kind: "shared_locker", Community: community,
			Host: communityName(d, community), Lat: 37.5445 - float64(i)*0.0021, Lng: 121.3990 + float64(i)*0.0027,
			Address: fmt.Sprintf("芝罘区上乔西路%d号", 60+10*i), OpeningHours: daily("00:00", "24:00"),
			Facilities: []string{"locker", "charging", "umbrella"}})
		lockers++
	}

	// The workers: couriers of the outlets, drivers, and the food-delivery
	// riders whose online check-ins make up the rest.
	n := 0
	add := func(community, occupation, platform, enterprise string, c checkIn) {
		n++
		d.Workers = append(d.Workers, demoWorker{Name: generatedName(n), Mobile: generatedMobile(n), IDNumber: generatedID(n),
			Occupation: occupation, Community: community, Enterprise: enterprise, Platform: platform,
			PoliticalStatus: []string{"masses", "masses", "masses", "league_member", "masses"}[n%5], CheckIn: c})
		if c.Channel == "online" {
			online++
		}
	}
	onlineIfNeeded := func() checkIn {
		if online < qishanOnlineCheckIns {
			return checkIn{Channel: "online"}
		}
		return checkIn{}
	}
	courierOutlets := []struct{ key, platform, community string }{
		{"zto-tashan", "中通", "tashan"}, {"yto-tashan", "圆通", "tashan"}, {"yunda-qizhong", "韵达", "qizhong"},
		{"sf-siyanqiao", "顺丰", "siyanqiao"}, {"cainiao-shangqiao", "菜鸟", "shangqiaoxilu"},
	}
	for i := 0; couriers < qishanCouriers; i++ {
		o := courierOutlets[i%len(courierOutlets)]
		add(o.community, "courier", o.platform, o.key, onlineIfNeeded())
		couriers++
	}
	for i := 0; drivers < qishanDrivers; i++ {
		occupation, platform := "ride_hailing_driver", "滴滴"
		if i%3 == 0 {
			occupation, platform = "freight_driver", "货拉拉"
		}
		add(qishanCommunities[i%len(qishanCommunities)], occupation, platform, "", onlineIfNeeded())
		drivers++
	}
	for i := 0; online < qishanOnlineCheckIns; i++ {
		add(qishanCommunities[i%len(qishanCommunities)], "food_delivery", "美团", "meituan-qishan", checkIn{Channel: "online"})
	}
	for i := 0; jianshelu < jiansheluWorkersAtMin+2; i++ {
		enterprise, platform, occupation := "eleme-jianshelu", "饿了么", "food_delivery"
		if i%3 == 1 {
			enterprise, platform, occupation = "jd-jianshelu", "京东", "courier"
		}
		c := checkIn{}
		if i%2 == 0 {
			c = atStation("laodongzhe")
		}
		add("jianshelu", occupation, platform, enterprise, c)
		jianshelu++
	}

	// 72 suggestions collected from 奇山街道's riders (随手拍, category
	// suggestion), by the generated riders in turn.
	topics := []string{"建议在上乔西路美食街增设电动车临时停放点", "建议驿站延长夜间开放时间", "建议小区门禁为快递小哥开通临时通行",
		"建议增加充电桩", "建议在奇山北路路口增设减速提示", "建议驿站配备雨具借用"}
	for i := 0; i < qishanSuggestions; i++ {
		w := qishanWorker(d, street, i)
		d.Reports = append(d.Reports, demoReport{Worker: w.IDNumber, Category: "suggestion",
			Description: topics[i%len(topics)], Lat: 37.536 + float64(i%12)*0.001, Lng: 121.392 + float64(i/12)*0.002,
			Address: "芝罘区奇山街道"})
	}
}

// qishanWorker is the i-th (round) of 奇山街道's workers in d.
func qishanWorker(d *demoData, street map[string]string, i int) demoWorker {
	var list []demoWorker
	for _, w := range d.Workers {
		if street[w.Community] == "qishan" {
			list = append(list, w)
		}
	}
	return list[i%len(list)]
}

func communityName(d *demoData, code string) string {
	for _, s := range d.Streets {
		for _, c := range s.Communities {
			if c.Code == code {
				return c.Name
			}
		}
	}
	return code
}

// generatedName is a plausible, fixed name for the n-th generated person.
func generatedName(n int) string {
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
	given := []string{"伟", "强", "磊", "洋", "勇", "军", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "宇",
		"浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "欢", "阳", "建华", "建国", "志强", "海峰", "晓东", "文杰", "子轩", "浩然"}
	return string(surnames[(n*7)%len(surnames)]) + given[(n*11)%len(given)]
}

// generatedMobile is a fixed, unique mobile for the n-th generated person
// (n < 10,000), in a range the hand-written demo does not use.
func generatedMobile(n int) string {
	prefixes := []string{"139", "158", "187", "152", "176", "135", "183", "150"}
	return fmt.Sprintf("%s6%03d%04d", prefixes[n%len(prefixes)], 535, n)
}

// generatedID is a fixed, unique, valid resident ID number for the n-th
// generated person (n < 1,000): born in Zhifu between 1975 and 2003.
func generatedID(n int) string {
	birth := fmt.Sprintf("%04d%02d%02d", 1975+n%29, 1+n%12, 1+n%28)
	return residentID("370602", birth, fmt.Sprintf("%03d", 100+n%900))
}
